/**
 * The Functions host's HTTP surface, served on loopback for the local runtime and the load
 * tool's instances: the Event Grid webhook the host exposes for an Event Grid trigger, and the
 * app's HTTP function. It answers as the host's Event Grid extension does:
 *
 * - `POST /runtime/webhooks/eventgrid?functionName=processImage`, header `aeg-event-type`:
 *   - `Notification`: the body is a JSON array of events (Event Grid schema) or one event
 *     (CloudEvents); each is handed to the function, all at once; 202 when every invocation
 *     completed, 500 with the first error's message when one threw;
 *   - `SubscriptionValidation`: 200 `{"validationResponse": <data.validationCode>}`;
 *   - `Unsubscribe`: 202; anything else: 400;
 *   - an unknown `functionName`: 404 `cannot find function: '<name>'`;
 * - `OPTIONS` on the webhook (the CloudEvents handshake): 200 allowing Event Grid's origin;
 * - `GET /api/health`: the app's `health` function.
 *
 * The answer is sent only when the invocations end, so everything the function does counts
 * against Event Grid's response window, as in Azure.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { listenOnLoopback } from './listen.js';
import type { HttpHandler, LogHandler } from '@azure/functions';
import { azureFunctions as functions } from '../azure-functions.js';
import { ResourceLimiter } from '../limits/index.js';
import type { EventHandler, Outcome } from '../process-blob.js';

/** The webhook path of the host's Event Grid extension. */
export const EVENT_GRID_WEBHOOK = '/runtime/webhooks/eventgrid';

/** The name the Event Grid function is registered under (functions/index.ts). */
export const EVENT_GRID_FUNCTION = 'processImage';

/** Event Grid never sends more than 1 MB in one delivery. */
const MAX_BODY_BYTES = 1_048_576;

/** The app's functions, as the host calls them. */
export interface HostedApp {
  readonly processImage: EventHandler;
  readonly health: HttpHandler;
}

/** One invocation of the Event Grid function, reported when it ends. */
export interface InvocationReport {
  /** The event as posted. */
  event: unknown;
  /** Event Grid's attempt (1-based), from its `aeg-delivery-count` header. */
  attempt: number;
  /** The outcome, when the function completed. */
  outcome?: Outcome;
  /** What the function threw. */
  error?: unknown;
  /**
   * How long the request was in the host before the function was called: its body read, then
   * the wait for a free slot.
   */
  queuedMs: number;
  /** How long the function ran (from its call to its answer). */
  runMs: number;
}

/** Options of `startFunctionsHost`. */
export interface FunctionsHostOptions {
  app: HostedApp;
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /**
   * Invocations that run at once (the instance's concurrency); further requests wait in the
   * host, and their wait counts against Event Grid's window. Default: no limit.
   */
  concurrency?: number;
  /** Where the function's `context.log` goes. Default: nowhere. */
  logHandler?: LogHandler;
  /** Called when an invocation of the Event Grid function ends. */
  onInvocation?: (report: InvocationReport) => void;
  /** More routes (the gallery, functions/local/gallery/): true when one answered the request. */
  routes?: (req: http.IncomingMessage, url: URL, res: http.ServerResponse) => Promise<boolean>;
}

/** A running host. */
export interface FunctionsHost {
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The webhook URL Event Grid posts to for `functionName`. */
  webhookUrl(functionName?: string): string;
  /** Resolves when no invocation runs or waits. */
  idle(): Promise<void>;
  /** Stops taking requests and waits for the invocations in flight. */
  close(): Promise<void>;
}

/** A request's answer: status, body, content type. */
interface Answer {
  status: number;
  body?: string;
  contentType?: string;
}

function headerOf(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A request's body as text; undefined past 1 MB (Event Grid's limit for one delivery or publish). */
export async function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The validation code of a `SubscriptionValidation` request, as the host reads it. */
function validationCode(body: unknown): unknown {
  const first = Array.isArray(body) ? (body[0] as unknown) : body;
  const data = (first as { data?: unknown } | undefined)?.data;
  const parsed = typeof data === 'string' ? (JSON.parse(data) as unknown) : data;
  return (parsed as { validationCode?: unknown } | undefined)?.validationCode;
}

/** Serves the host's endpoints for `app` until closed. */
export class LocalFunctionsHost {
  readonly #options: FunctionsHostOptions;
  readonly #limiter: ResourceLimiter | undefined;
  #running = 0;
  #idleWaiters: (() => void)[] = [];

  constructor(options: FunctionsHostOptions) {
    this.#options = options;
    const { concurrency } = options;
    this.#limiter =
      concurrency === undefined
        ? undefined
        : new ResourceLimiter({ concurrency, memoryBudgetBytes: Number.MAX_SAFE_INTEGER });
  }

  /** Answers one request. */
  readonly handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const arrived = performance.now();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let answer: Answer;
    try {
      answer = await this.#route(req, url, res, arrived);
    } catch (error) {
      answer = { status: 500, body: error instanceof Error ? error.message : String(error) };
    }
    if (res.headersSent) return;
    const type = answer.contentType ?? 'text/plain; charset=utf-8';
    res.writeHead(answer.status, answer.body === undefined ? {} : { 'content-type': type });
    res.end(answer.body);
  };

  /** Resolves when no invocation runs or waits. */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.#idleWaiters.push(resolve);
      this.#settleIdle();
    });
  }

  async #route(
    req: http.IncomingMessage,
    url: URL,
    res: http.ServerResponse,
    arrived: number,
  ): Promise<Answer> {
    if (url.pathname === EVENT_GRID_WEBHOOK) return this.#webhook(req, url, res, arrived);
    if (await this.#options.routes?.(req, url, res)) return { status: 200 };
    if (url.pathname === '/api/health' && req.method === 'GET') {
      await this.#health(req, url, res);
      return { status: 200 };
    }
    req.resume();
    return { status: 404 };
  }

  /** The webhook; `arrived` is when the request came in (its body read counts as waiting). */
  async #webhook(
    req: http.IncomingMessage,
    url: URL,
    res: http.ServerResponse,
    arrived: number,
  ): Promise<Answer> {
    const functionName = url.searchParams.get('functionName') ?? '';
    if (functionName !== EVENT_GRID_FUNCTION) {
      req.resume();
      return { status: 404, body: `cannot find function: '${functionName}'` };
    }
    if (req.method === 'OPTIONS') {
      // The CloudEvents validation handshake: the host allows Event Grid's origin.
      req.resume();
      res.setHeader('webhook-allowed-origin', 'eventgrid.azure.net');
      return { status: 200 };
    }
    if (req.method !== 'POST') {
      req.resume();
      return { status: 405 };
    }
    const text = await readBody(req);
    if (text === undefined) return { status: 413 };
    const kind = headerOf(req, 'aeg-event-type')?.toLowerCase();
    if (kind === 'subscriptionvalidation') {
      const validationResponse = validationCode(JSON.parse(text) as unknown);
      const body = JSON.stringify({ validationResponse });
      return { status: 200, body, contentType: 'application/json' };
    }
    if (kind === 'unsubscribe') return { status: 202 };
    if (kind !== 'notification') return { status: 400 };
    const parsed = JSON.parse(text) as unknown;
    const events = Array.isArray(parsed) ? (parsed as unknown[]) : [parsed];
    const attempt = Number(headerOf(req, 'aeg-delivery-count') ?? 0) + 1;
    const errors = await Promise.all(events.map((event) => this.#invoke(event, attempt, arrived)));
    const failed = errors.find((error) => error !== undefined);
    if (failed === undefined) return { status: 202 };
    return { status: 500, body: failed.message };
  }

  /** Runs the Event Grid function on one event; returns what it threw, if anything. */
  async #invoke(event: unknown, attempt: number, arrived: number): Promise<Error | undefined> {
    const { app, logHandler, onInvocation } = this.#options;
    const context = new functions.InvocationContext({
      invocationId: randomUUID(),
      functionName: EVENT_GRID_FUNCTION,
      logHandler: logHandler ?? (() => undefined),
    });
    this.#running += 1;
    let called: number | undefined;
    const timing = () => {
      const end = performance.now();
      return { queuedMs: (called ?? end) - arrived, runMs: end - (called ?? end) };
    };
    try {
      const run = () => {
        called = performance.now();
        return app.processImage(event, context);
      };
      const outcome = await (this.#limiter === undefined ? run() : this.#limiter.run(0, run));
      onInvocation?.({ event, attempt, outcome, ...timing() });
      return undefined;
    } catch (error) {
      onInvocation?.({ event, attempt, error, ...timing() });
      return error instanceof Error ? error : new Error(String(error));
    } finally {
      this.#running -= 1;
      this.#settleIdle();
    }
  }

  async #health(req: http.IncomingMessage, url: URL, res: http.ServerResponse): Promise<void> {
    req.resume();
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.headers)) {
      if (typeof value === 'string') headers[key] = value;
    }
    const request = new functions.HttpRequest({ method: 'GET', url: url.href, headers });
    const context = new functions.InvocationContext({
      invocationId: randomUUID(),
      functionName: 'health',
      logHandler: this.#options.logHandler ?? (() => undefined),
    });
    const init = await this.#options.app.health(request, context);
    const response =
      init instanceof functions.HttpResponse ? init : new functions.HttpResponse(init);
    const body = Buffer.from(await response.arrayBuffer());
    res.writeHead(response.status, Object.fromEntries(response.headers.entries()));
    res.end(body);
  }

  #settleIdle(): void {
    if (this.#running > 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** Starts a host for `options.app` on 127.0.0.1 (loopback only). */
export async function startFunctionsHost(options: FunctionsHostOptions): Promise<FunctionsHost> {
  const host = new LocalFunctionsHost(options);
  const server = http.createServer((req, res) => void host.handle(req, res));
  server.keepAliveTimeout = 60_000;
  const port = await listenOnLoopback(server, options.port);
  const url = `http://127.0.0.1:${port}`;
  return {
    port,
    url,
    webhookUrl: (functionName = EVENT_GRID_FUNCTION) =>
      `${url}${EVENT_GRID_WEBHOOK}?functionName=${encodeURIComponent(functionName)}`,
    idle: () => host.idle(),
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await host.idle();
      server.closeAllConnections();
      await closed;
    },
  };
}
