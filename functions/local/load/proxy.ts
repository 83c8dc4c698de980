/**
 * An HTTP proxy on loopback between storage clients and Azurite. It counts the writes that
 * storage accepted (the load tool's duplicate check), lets observers see every request with
 * storage's answer (the local runtime raises Azure's blob events from the commits it sees, see
 * `storage-events.ts`; the load tool counts input downloads), and can inject faults (the
 * reliability suite). For faults we chose a proxy over an SDK pipeline policy because it tests
 * what production meets: the handler's own client, built by `functions/storage.ts` from a
 * connection string, with its real retry policy, sees real HTTP failures (status codes, reset
 * connections, responses lost after the write was applied) without any test hook in the code
 * under test. It also gives the pipeline a stable endpoint while Azurite behind it is stopped
 * and started again.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What goes wrong:
 * - `503`, `500`, `429`: answered by the proxy, the request never reaches storage;
 * - `reset`: the connection is dropped before the request reaches storage;
 * - `lost-response`: the request is applied by storage, then the connection is dropped, as when
 *   a response times out: the client cannot tell whether its write happened.
 */
export type Fault = '503' | '500' | '429' | 'reset' | 'lost-response';

/** The operation a request performs, as far as the pipeline is concerned. */
export type Operation = 'download' | 'upload' | 'other';

/** A request seen by the proxy. */
export interface ProxiedRequest {
  method: string;
  /** The account (first path segment: Azurite's URLs are path-style). */
  account: string | undefined;
  /** Container the request is about (first path segment after the account). */
  container: string | undefined;
  /** Blob name, decoded; undefined for container and service requests. */
  blob: string | undefined;
  operation: Operation;
  /** The path as the client sent it (percent-encoded), without the query. */
  path: string;
  /** The query parameters (`comp`, `restype`, `snapshot`, …). */
  query: URLSearchParams;
  /** The request's headers (`x-ms-blob-type`, `x-ms-copy-source`, `content-length`, …). */
  headers: IncomingHttpHeaders;
}

/** Storage's answer to a forwarded request: its status and headers (`etag`, …). */
export interface StorageAnswer {
  status: number;
  headers: IncomingHttpHeaders;
}

/** Sees each forwarded request once storage's answer (status and headers) has arrived. */
export type ProxyObserver = (request: ProxiedRequest, answer: StorageAnswer) => void;

/** Decides per request whether to inject a fault. */
export type FaultRule = (request: ProxiedRequest) => Fault | undefined;

/** A running proxy. */
export interface FaultProxy {
  port: number;
  /** Counts of injected faults, by fault and operation (e.g. `503 download`). */
  readonly injected: Map<string, number>;
  /** Requests forwarded to storage, by operation. */
  readonly forwarded: Map<Operation, number>;
  /** Uploads storage accepted (2xx), by `container/blob`. */
  readonly writes: Map<string, number>;
  /** Replaces the fault rule (undefined: pass everything through). */
  setRule(rule: FaultRule | undefined): void;
  /** Called when storage's answer to a forwarded request has been passed on in full. */
  onResponse: ((request: ProxiedRequest, status: number) => void) | undefined;
  /**
   * Adds an observer, called as soon as storage has answered a forwarded request (whether or
   * not the answer then reaches the client: a write storage applied counts even when its
   * response is lost). Returns a function that removes it.
   */
  observe(observer: ProxyObserver): () => void;
  /** Points the proxy at another storage port (Azurite restarted elsewhere). */
  setTarget(port: number): void;
  close(): Promise<void>;
}

/** Where the proxy listens. */
export interface ProxyOptions {
  /** Its port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
}

function describeRequest(req: http.IncomingMessage): ProxiedRequest {
  const url = new URL(req.url ?? '/', 'http://proxy');
  const [, account, container, ...rest] = url.pathname.split('/');
  const blob = rest.length > 0 ? decodeURIComponent(rest.join('/')) : undefined;
  const method = req.method ?? 'GET';
  const isBlob = blob !== undefined && !url.searchParams.has('restype');
  const operation: Operation =
    isBlob && method === 'GET' ? 'download' : isBlob && method === 'PUT' ? 'upload' : 'other';
  return {
    method,
    account,
    container,
    blob,
    operation,
    path: url.pathname,
    query: url.searchParams,
    headers: req.headers,
  };
}

function storageError(res: http.ServerResponse, status: number, code: string): void {
  const body = `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>injected by the fault proxy</Message></Error>`;
  res.writeHead(status, {
    'content-type': 'application/xml',
    'x-ms-error-code': code,
    ...(status === 429 ? { 'retry-after': '1' } : {}),
  });
  res.end(body);
}

/** Starts a fault-injecting proxy on 127.0.0.1 in front of the storage on `targetPort`. */
export async function startFaultProxy(
  targetPort: number,
  options: ProxyOptions = {},
): Promise<FaultProxy> {
  let target = targetPort;
  let rule: FaultRule | undefined;
  const injected = new Map<string, number>();
  const forwarded = new Map<Operation, number>();
  const writes = new Map<string, number>();
  const observers = new Set<ProxyObserver>();
  const agent = new http.Agent({ keepAlive: true });

  const server = http.createServer((req, res) => {
    const request = describeRequest(req);
    const fault = rule?.(request);
    if (fault !== undefined) {
      const key = `${fault} ${request.operation}`;
      injected.set(key, (injected.get(key) ?? 0) + 1);
    }
    if (fault === '503') return storageError(res, 503, 'ServerBusy');
    if (fault === '500') return storageError(res, 500, 'InternalError');
    if (fault === '429') return storageError(res, 429, 'TooManyRequests');
    if (fault === 'reset') {
      req.resume();
      req.socket.destroy();
      return;
    }
    forwarded.set(request.operation, (forwarded.get(request.operation) ?? 0) + 1);
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port: target,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: `127.0.0.1:${target}` },
        agent,
      },
      (answer) => {
        const status = answer.statusCode ?? 0;
        if (request.operation === 'upload' && status >= 200 && status < 300) {
          const key = `${request.container ?? ''}/${request.blob ?? ''}`;
          writes.set(key, (writes.get(key) ?? 0) + 1);
        }
        for (const observer of observers) observer(request, { status, headers: answer.headers });
        if (fault === 'lost-response') {
          answer.resume();
          answer.once('end', () => req.socket.destroy());
          return;
        }
        res.writeHead(status || 502, answer.headers);
        answer.pipe(res);
        res.once('finish', () => proxy.onResponse?.(request, status));
      },
    );
    // Storage down: the client sees a dropped connection, as it would from a dead endpoint.
    upstream.once('error', () => req.socket.destroy());
    req.pipe(upstream);
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const proxy: FaultProxy = {
    port: (server.address() as AddressInfo).port,
    injected,
    forwarded,
    writes,
    onResponse: undefined,
    observe: (observer) => {
      observers.add(observer);
      return () => observers.delete(observer);
    },
    setRule: (next) => {
      rule = next;
    },
    setTarget: (port) => {
      target = port;
      agent.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return proxy;
}

/** Injects `fault` into the first `count` requests that match `where`, then passes all through. */
export function firstN(
  count: number,
  fault: Fault,
  where: (request: ProxiedRequest) => boolean,
): FaultRule {
  return countedRule(fault, where, (nth) => nth <= count);
}

/** Injects `fault` into every `every`-th matching request (1-based), forever. */
export function everyNth(
  every: number,
  fault: Fault,
  where: (request: ProxiedRequest) => boolean,
): FaultRule {
  return countedRule(fault, where, (nth) => nth % every === 0);
}

/** Numbers the requests matching `where` (from 1) and injects `fault` where `inject(n)`. */
function countedRule(
  fault: Fault,
  where: (request: ProxiedRequest) => boolean,
  inject: (nth: number) => boolean,
): FaultRule {
  let seen = 0;
  return (request) => {
    if (!where(request)) return undefined;
    seen += 1;
    return inject(seen) ? fault : undefined;
  };
}
