/**
 * The task that runs inside a worker thread of the image pool (lib/runner/pool.ts): one image
 * through the imaging core. Errors cross the thread boundary as plain data (a class does not
 * survive structured cloning), and the pool turns them back into `ImageError`s with the same
 * code and permanence, and the cause they wrap (an `INTERNAL` error's bug, with its stack). An adapter that needs more per task (functions/ records spans) passes its own worker
 * module, which wraps `runImage` and hands its output to `transferOutput`.
 */
import type { MessagePort } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { ImageError } from '../errors.js';
import { processImage } from '../index.js';
import type { ProcessOptions } from '../options.js';
import type { ProcessResult } from '../types.js';

/** What the pool sends to a worker. */
export interface WorkerInput {
  bytes: Uint8Array;
  options: Partial<ProcessOptions>;
  /** Told when processing starts, so the time limit does not count the worker's start-up. */
  started: MessagePort;
}

/** An error as plain data. */
export interface WorkerError {
  name: string;
  message: string;
  code?: string;
  permanent?: boolean;
  stack?: string;
  /** What an `ImageError` wraps (for `INTERNAL`, the bug itself, with its stack). */
  cause?: WorkerError;
}

/** What a worker sends back: the result, or the error it ended with. */
export type WorkerOutput = { ok: true; result: ProcessResult } | { ok: false; error: WorkerError };

// No codec is loaded ahead: each loads on first use, as in any process. A baseline JPEG needs
// only lib/jpeg's own small module; loading every codec at thread start (mozjpeg's decoder, the
// PNG crate, the WebP and AVIF decoders, libjpeg-turbo) took 110-140 ms of a new thread's start
// (measured in a fresh process, 4 runs each).

/**
 * Processes one image, after telling the pool its clock may start. Never throws, so every
 * error keeps its code across the boundary.
 */
export async function runImage(input: WorkerInput): Promise<WorkerOutput> {
  input.started.postMessage('started');
  input.started.close();
  try {
    return { ok: true, result: await processImage(input.bytes, input.options) };
  } catch (error) {
    return { ok: false, error: plainError(error) };
  }
}

function plainError(error: unknown): WorkerError {
  if (error instanceof ImageError) {
    const { cause } = error;
    return {
      name: error.name,
      ...error.toJSON(),
      ...(cause !== undefined && { cause: plainError(cause) }),
    };
  }
  const plain = error instanceof Error ? error : new Error(String(error));
  return { name: plain.name, message: plain.message, ...(plain.stack && { stack: plain.stack }) };
}

/**
 * Wraps a worker's answer so that piscina moves every rendition's memory to the calling thread
 * instead of copying it. Only a buffer that holds exactly one image and nothing else is
 * moved (never a WASM memory or Node's shared pool of small buffers); the rest is cloned.
 */
export function transferOutput<T extends WorkerOutput>(output: T): T {
  const buffers = new Set<ArrayBuffer>();
  if (output.ok) {
    for (const { bytes } of output.result.renditions) {
      const { buffer } = bytes;
      if (
        buffer instanceof ArrayBuffer &&
        bytes.byteOffset === 0 &&
        bytes.byteLength === buffer.byteLength
      ) {
        buffers.add(buffer);
      }
    }
  }
  if (buffers.size === 0) return output;
  // piscina unwraps a moved value in the worker: the caller receives `output` itself.
  return move({ [transferableSymbol]: [...buffers], [valueSymbol]: output }) as unknown as T;
}

/** The generic task: one image, its encoded renditions moved rather than copied. */
export default async function processInWorker(input: WorkerInput): Promise<WorkerOutput> {
  return transferOutput(await runImage(input));
}
