/**
 * A pool of worker threads that run the imaging core, so that a per-image time limit is real:
 * decoding is synchronous WASM/JS that no promise can interrupt, but a worker can be
 * terminated. Built on piscina (Node.js organisation); an aborted task terminates its worker
 * and the pool starts a fresh one for the next image.
 */
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { ImageError, ImageTimeoutError, type ImageErrorCode } from '../../lib/errors.js';
import type { ProcessOptions } from '../../lib/options.js';
import type { ProcessResult } from '../../lib/types.js';
import { replayWorkerSpans, tracingActive } from '../telemetry/worker-spans.js';
import type { WorkerError, WorkerInput, WorkerOutput } from './worker.js';

/** How the pool is sized and how long an image may take. */
export interface PoolOptions {
  /** Worker threads (one image each at a time). */
  threads: number;
  /** Per-image limit in milliseconds, measured from the moment a worker picks the image up. */
  timeoutMs: number;
  /** Extra time a new worker may take to start (load the code, compile the codecs). */
  startupGraceMs?: number;
  /** Idle workers exit after this many milliseconds, giving their memory back. */
  idleTimeoutMs?: number;
}

/** A worker thread ended without an answer (crashed or ran out of memory); worth a retry. */
export class WorkerFailedError extends Error {
  override readonly name = 'WorkerFailedError';
  readonly code = 'WORKER_FAILED';
}

/** The worker module next to this file: `.ts` under tsx, `.js` once compiled. */
function workerUrl(): string {
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./worker${extension}`, import.meta.url).href;
}

/** Runs images through worker threads with a time limit per image. */
export class ImageWorkerPool {
  readonly #piscina: Piscina<WorkerInput, WorkerOutput>;
  readonly #timeoutMs: number;
  readonly #startupGraceMs: number;

  constructor(options: PoolOptions) {
    this.#timeoutMs = options.timeoutMs;
    this.#startupGraceMs = options.startupGraceMs ?? 30_000;
    this.#piscina = new Piscina<WorkerInput, WorkerOutput>({
      filename: workerUrl(),
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
   * fresh worker first loads the code and the codecs); a worker that overruns is terminated.
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
    let output: WorkerOutput;
    try {
      output = await this.#piscina.run(
        { bytes, options, started: port2, trace: tracingActive() },
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
    // The core's stage spans, recorded in the worker, become children of the caller's span.
    replayWorkerSpans(output.spans);
    if (output.ok) return output.result;
    throw fromWorkerError(output.error);
  }

  /** Stops every worker; pending images are rejected. */
  async close(): Promise<void> {
    await this.#piscina.close({ force: true });
  }
}

/** Rebuilds an error sent by a worker: an `ImageError` keeps its code and permanence. */
function fromWorkerError(error: WorkerError): Error {
  if (error.code !== undefined) {
    const rebuilt = new ImageError(error.code as ImageErrorCode, error.message, {
      permanent: error.permanent ?? true,
    });
    Object.defineProperty(rebuilt, 'name', { value: error.name });
    return rebuilt;
  }
  const rebuilt = new Error(error.message);
  rebuilt.name = error.name;
  if (error.stack !== undefined) rebuilt.stack = error.stack;
  return rebuilt;
}
