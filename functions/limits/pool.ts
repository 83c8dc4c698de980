/**
 * The image pool of lib/runner/ as the functions use it: their own worker module (next to
 * this file) records the core's stage spans, and the pool replays them under the caller's
 * span. Everything else (time limit, start-up grace, worker replacement, typed errors) is the
 * generic pool's.
 */
import { ImagePool, type ImagePoolOptions } from '../../lib/runner/pool.js';
import { replayWorkerSpans, tracingActive } from '../telemetry/worker-spans.js';
import type { TracedWorkerOutput } from './worker.js';

export { WorkerFailedError } from '../../lib/runner/pool.js';

/** How the pool is sized and how long an image may take. */
export type PoolOptions = Omit<
  ImagePoolOptions<TracedWorkerOutput>,
  'workerUrl' | 'taskFields' | 'onOutput'
>;

/** The worker module next to this file: `.ts` under tsx, `.js` once compiled. */
function workerUrl(): string {
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./worker${extension}`, import.meta.url).href;
}

/** Runs images through worker threads with a time limit per image, keeping their spans. */
export class ImageWorkerPool extends ImagePool<TracedWorkerOutput> {
  constructor(options: PoolOptions) {
    super({
      ...options,
      workerUrl: workerUrl(),
      taskFields: () => ({ trace: tracingActive() }),
      // The core's stage spans, recorded in the worker, become children of the caller's span.
      onOutput: (output) => replayWorkerSpans(output.spans),
    });
  }
}
