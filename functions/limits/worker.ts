/**
 * The task that runs inside a worker thread of the image pool: one image through the imaging
 * core. Errors cross the thread boundary as plain data (a class does not survive structured
 * cloning), and the pool turns them back into `ImageError`s with the same code.
 */
import { ImageError } from '../../lib/errors.js';
import type { MessagePort } from 'node:worker_threads';
import { loadCodecs, processImage } from '../../lib/index.js';
import type { ProcessOptions } from '../../lib/options.js';
import type { ProcessResult } from '../../lib/types.js';
import { collectWorkerSpans, type PlainSpan } from '../telemetry/worker-spans.js';

/** What the pool sends to a worker. */
export interface WorkerInput {
  bytes: Uint8Array;
  options: Partial<ProcessOptions>;
  /** Told when processing starts, so the time limit does not count the worker's start-up. */
  started: MessagePort;
  /** Record the core's spans and send them back (the caller's span is recording). */
  trace?: boolean;
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
export type WorkerOutput = (
  { ok: true; result: ProcessResult } | { ok: false; error: WorkerError }
) & {
  /** The core's spans, when `trace` was asked for; the pool replays them in the caller. */
  spans?: PlainSpan[];
};

// Compile and instantiate the WASM codecs as the worker starts, before the first image's clock.
// (Not a top-level await: piscina loads worker modules in a way tsx cannot follow with one.)
const codecsReady = loadCodecs();

/** Processes one image; never throws, so every error keeps its code across the boundary. */
export default async function processInWorker(input: WorkerInput): Promise<WorkerOutput> {
  await codecsReady;
  input.started.postMessage('started');
  input.started.close();
  if (!input.trace) return runImage(input);
  const { value, spans } = await collectWorkerSpans(() => runImage(input));
  return { ...value, spans };
}

async function runImage(input: WorkerInput): Promise<WorkerOutput> {
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
