/**
 * Bounded resources for image processing in one process: a concurrency limit, a memory budget
 * estimated from each image's declared size, and a per-image time limit enforced by running the
 * imaging core in worker threads. The app builds one `ImageRunner` from its settings and hands
 * it to the handler, which calls `runner.process` where it would call `processImage`.
 */
import { processImage } from '../../lib/index.js';
import type { ProcessOptions } from '../../lib/options.js';
import type { ProcessResult } from '../../lib/types.js';
import { estimateImageBytes } from './estimate.js';
import { ResourceLimiter, type LimiterState } from './limiter.js';
import { ImageWorkerPool } from './pool.js';
import type { ResourceSettings } from '../config.js';

export { ResourceLimiter, type LimiterState } from './limiter.js';
export { ImageWorkerPool, WorkerFailedError } from './pool.js';
export { estimateImageBytes } from './estimate.js';

/**
 * Where images run: `worker` (default) in a pool of worker threads, which enforces the time
 * limit and uses every core; `inline` on the calling thread, with no time limit (for
 * comparison and for tools that already isolate work).
 */
export type Isolation = 'worker' | 'inline';

/** Settings of a runner. */
export interface ImageRunnerOptions extends ResourceSettings {
  isolation?: Isolation;
}

/** A snapshot of a runner, for telemetry and tests. */
export interface ImageRunnerState extends LimiterState {
  /** Worker threads alive now (0 inline). */
  threads: number;
}

/** Processes images within a concurrency limit, a memory budget and a time limit. */
export class ImageRunner {
  readonly settings: Readonly<ImageRunnerOptions>;
  readonly #limiter: ResourceLimiter;
  readonly #pool: ImageWorkerPool | undefined;

  constructor(settings: ImageRunnerOptions) {
    this.settings = Object.freeze({ ...settings });
    this.#limiter = new ResourceLimiter({
      concurrency: settings.concurrency,
      memoryBudgetBytes: settings.memoryBudgetMb * 1024 * 1024,
    });
    this.#pool =
      settings.isolation === 'inline'
        ? undefined
        : new ImageWorkerPool({ threads: settings.concurrency, timeoutMs: settings.timeoutMs });
  }

  /** Like `processImage`, but waits for a slot and the memory it needs, and stops at the limit. */
  process(bytes: Uint8Array, options: Partial<ProcessOptions>): Promise<ProcessResult> {
    const estimate = estimateImageBytes(bytes, options.maxPixels);
    return this.#limiter.run(estimate, () =>
      this.#pool ? this.#pool.process(bytes, options) : processImage(bytes, options),
    );
  }

  /** Current load and peaks. */
  state(): ImageRunnerState {
    return { ...this.#limiter.state(), threads: this.#pool?.threads ?? 0 };
  }

  /** Stops the worker threads. */
  async close(): Promise<void> {
    await this.#pool?.close();
  }
}
