/**
 * The task that runs inside a worker thread of the image pool: one image through the imaging
 * core. Errors cross the thread boundary as plain data (a class does not survive structured
 * cloning), and the pool turns them back into `ImageError`s with the same code.
 */
import { ImageError } from '../../lib/errors.js';
import { processImage } from '../../lib/index.js';
import type { ProcessOptions } from '../../lib/options.js';
import type { ProcessResult } from '../../lib/types.js';

/** What the pool sends to a worker. */
export interface WorkerInput {
  bytes: Uint8Array;
  options: Partial<ProcessOptions>;
}

/** An error as plain data. */
export interface WorkerError {
  name: string;
  message: string;
  code?: string;
  permanent?: boolean;
  stack?: string;
}

/** What a worker sends back: the result, or the error it ended with. */
export type WorkerOutput = { ok: true; result: ProcessResult } | { ok: false; error: WorkerError };

/** Processes one image; never throws, so every error keeps its code across the boundary. */
export default async function processInWorker(input: WorkerInput): Promise<WorkerOutput> {
  try {
    return { ok: true, result: await processImage(input.bytes, input.options) };
  } catch (error) {
    if (error instanceof ImageError) {
      return { ok: false, error: { name: error.name, ...error.toJSON() } };
    }
    const plain = error instanceof Error ? error : new Error(String(error));
    return {
      ok: false,
      error: {
        name: plain.name,
        message: plain.message,
        ...(plain.stack && { stack: plain.stack }),
      },
    };
  }
}
