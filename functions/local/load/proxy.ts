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
import { listenOnLoopback } from '../listen.js';

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
  const proxy = new LoopbackFaultProxy(targetPort);
  proxy.port = await listenOnLoopback(proxy.server, options.port);
  return proxy;
}

/** The proxy: each request gets its fault, or goes to storage and is counted and observed. */
class LoopbackFaultProxy implements FaultProxy {
  port = 0;
  readonly injected = new Map<string, number>();
  readonly forwarded = new Map<Operation, number>();
  readonly writes = new Map<string, number>();
  onResponse: FaultProxy['onResponse'] = undefined;
  readonly server = http.createServer((req, res) => this.#handle(req, res));
  readonly #observers = new Set<ProxyObserver>();
  readonly #agent = new http.Agent({ keepAlive: true });
  #rule: FaultRule | undefined;

  constructor(private target: number) {}

  observe(observer: ProxyObserver): () => void {
    this.#observers.add(observer);
    return () => this.#observers.delete(observer);
  }

  setRule(next: FaultRule | undefined): void {
    this.#rule = next;
  }

  setTarget(port: number): void {
    this.target = port;
    this.#agent.destroy();
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#agent.destroy();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const request = describeRequest(req);
    const fault = this.#rule?.(request);
    if (fault !== undefined) count(this.injected, `${fault} ${request.operation}`);
    if (!answeredByFault(fault, req, res)) this.#forward(request, fault, req, res);
  }

  #forward(
    request: ProxiedRequest,
    fault: Fault | undefined,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): void {
    count(this.forwarded, request.operation);
    const target = this.target;
    const headers = { ...req.headers, host: `127.0.0.1:${target}` };
    const options = { host: '127.0.0.1', port: target, method: req.method, path: req.url, headers };
    const upstream = http.request({ ...options, agent: this.#agent }, (answer) => {
      const status = answer.statusCode ?? 0;
      this.#record(request, status, answer.headers);
      if (fault === 'lost-response') {
        answer.resume();
        answer.once('end', () => req.socket.destroy());
        return;
      }
      res.writeHead(status || 502, answer.headers);
      answer.pipe(res);
      res.once('finish', () => this.onResponse?.(request, status));
    });
    // Storage down: the client sees a dropped connection, as it would from a dead endpoint.
    upstream.once('error', () => req.socket.destroy());
    req.pipe(upstream);
  }

  /** Counts the writes storage accepted and tells the observers what it answered. */
  #record(request: ProxiedRequest, status: number, headers: IncomingHttpHeaders): void {
    if (request.operation === 'upload' && status >= 200 && status < 300) {
      count(this.writes, `${request.container ?? ''}/${request.blob ?? ''}`);
    }
    for (const observer of this.#observers) observer(request, { status, headers });
  }
}

/** Answers a request with `fault` where the fault is an answer (or no answer); false otherwise. */
function answeredByFault(
  fault: Fault | undefined,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): boolean {
  switch (fault) {
    case '503':
      storageError(res, 503, 'ServerBusy');
      return true;
    case '500':
      storageError(res, 500, 'InternalError');
      return true;
    case '429':
      storageError(res, 429, 'TooManyRequests');
      return true;
    case 'reset':
      req.resume();
      req.socket.destroy();
      return true;
    default:
      return false;
  }
}

function count<K>(counts: Map<K, number>, key: K): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
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
