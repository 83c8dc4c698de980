/**
 * The one pool of worker threads that runs the imaging core off the calling thread, so that a
 * per-image time limit is real: decoding is synchronous WASM/JS that no promise can interrupt,
 * but a worker can be terminated. Built on piscina (Node.js organisation); an aborted task
 * terminates its worker and the pool starts a fresh one for the next image. Both adapters use
 * it: the CLI (lib/cli/) and the functions (functions/limits/, with its own worker module that
 * records spans).
 */
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { ImageError, ImageTimeoutError, type ImageErrorCode } from '../errors.js';
import type { ProcessOptions } from '../options.js';
import type { ProcessResult } from '../types.js';
import type { WorkerError, WorkerInput, WorkerOutput } from './worker.js';

/** How the pool is sized, how long an image may take, and which worker module runs it. */
export interface ImagePoolOptions<Output extends WorkerOutput = WorkerOutput> {
  /** Worker threads (one image each at a time). */
  threads: number;
  /** Per-image limit in milliseconds, measured from the moment a worker picks the image up. */
  timeoutMs: number;
  /** Extra time a new worker may take to start (load the code, compile the codecs). */
  startupGraceMs?: number;
  /** Idle workers exit after this many milliseconds, giving their memory back. */
  idleTimeoutMs?: number;
  /**
   * The worker module (default: lib/runner/worker). Its default export takes a `WorkerInput`
   * (plus `taskFields()`) and answers a `WorkerOutput`; an adapter's module wraps `runImage`.
   */
  workerUrl?: string | URL;
  /** Extra fields for each task, read on the calling thread as the image is sent. */
  taskFields?: () => Record<string, unknown>;
  /** Sees every answer on the calling thread before it becomes a result or an error. */
  onOutput?: (output: Output) => void;
}

/** A worker thread ended without an answer (crashed or ran out of memory); worth a retry. */
export class WorkerFailedError extends Error {
  override readonly name = 'WorkerFailedError';
  readonly code = 'WORKER_FAILED';
}

/** A module next to this file: `.ts` from source (under tsx), `.js` once compiled. */
function siblingUrl(base: string): string {
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${base}${extension}`, import.meta.url).href;
}

/** Runs images through worker threads with a time limit per image. */
export class ImagePool<Output extends WorkerOutput = WorkerOutput> {
  readonly #piscina: Piscina<WorkerInput, Output>;
  readonly #timeoutMs: number;
  readonly #startupGraceMs: number;
  readonly #taskFields: () => Record<string, unknown>;
  readonly #onOutput: (output: Output) => void;

  constructor(options: ImagePoolOptions<Output>) {
    this.#timeoutMs = options.timeoutMs;
    this.#startupGraceMs = options.startupGraceMs ?? 30_000;
    this.#taskFields = options.taskFields ?? (() => ({}));
    this.#onOutput = options.onOutput ?? (() => {});
    this.#piscina = new Piscina<WorkerInput, Output>({
      filename: String(options.workerUrl ?? siblingUrl('worker')),
      minThreads: 0,
      maxThreads: options.threads,
      idleTimeout: options.idleTimeoutMs ?? 60_000,
      concurrentTasksPerWorker: 1,
    });
  }

  /** Worker threads alive now. */
  get threads(): number {
    return this.#piscina.threads.length;
  }

  /**
   * Processes one image in a worker. The clock starts when the worker starts on the image (a
   * fresh worker first loads the code and the codecs); a worker that overruns is terminated
   * (`ImageTimeoutError`), one that dies fails the image with `WorkerFailedError`.
   */
  async process(
    bytes: Uint8Array,
    options: Partial<ProcessOptions>,
    timeoutMs: number = this.#timeoutMs,
  ): Promise<ProcessResult> {
    const abort = new AbortController();
    const { port1, port2 } = new MessageChannel();
    let limit = setTimeout(() => abort.abort(), timeoutMs + this.#startupGraceMs);
    port1.once('message', () => {
      clearTimeout(limit);
      limit = setTimeout(() => abort.abort(), timeoutMs);
    });
    let output: Output;
    try {
      output = await this.#piscina.run(
        { ...this.#taskFields(), bytes, options, started: port2 },
        { signal: abort.signal, transferList: [port2] },
      );
    } catch (error) {
      if (abort.signal.aborted) {
        throw new ImageTimeoutError(options.name ?? 'input', timeoutMs);
      }
      throw new WorkerFailedError(
        `The worker processing ${options.name ?? 'input'} stopped: ${String(error)}`,
        { cause: error },
      );
    } finally {
      clearTimeout(limit);
      port1.close();
    }
    this.#onOutput(output);
    if (output.ok) return output.result;
    throw fromWorkerError(output.error);
  }

  /** Stops every worker; pending images are rejected. */
  async close(): Promise<void> {
    await this.#piscina.close({ force: true });
  }
}

/**
 * Rebuilds an error sent by a worker: an `ImageError` keeps its code, permanence and cause (so
 * an `INTERNAL` error still shows where the bug was thrown).
 */
function fromWorkerError(error: WorkerError): Error {
  if (error.code !== undefined) {
    const rebuilt = new ImageError(error.code as ImageErrorCode, error.message, {
      permanent: error.permanent ?? true,
      ...(error.cause === undefined ? {} : { cause: fromWorkerError(error.cause) }),
    });
    Object.defineProperty(rebuilt, 'name', { value: error.name });
    return rebuilt;
  }
  const rebuilt = new Error(error.message);
  rebuilt.name = error.name;
  if (error.stack !== undefined) rebuilt.stack = error.stack;
  return rebuilt;
}
