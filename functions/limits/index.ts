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
import { InstanceBusyError } from '../errors.js';
import { TimeAdmission, type TimeTicket } from './admission.js';
import { ResourceLimiter, WaitExpiredError, type Grant, type LimiterState } from './limiter.js';
import { ImageWorkerPool } from './pool.js';
import type { ResourceSettings } from '../config.js';

export { ResourceLimiter, type LimiterState } from './limiter.js';
export { ImageWorkerPool, WorkerFailedError } from './pool.js';
export { estimateImageBytes } from './estimate.js';

/**
 * Where images run: `worker` (default) in pools of worker threads, which enforce the time limit
 * and use every core; `inline` on the calling thread, with no time limit (for comparison and
 * for tools that already isolate work).
 */
export type Isolation = 'worker' | 'inline';

/** Settings of a runner. */
export interface ImageRunnerOptions extends Omit<ResourceSettings, 'instanceMemoryMb'> {
  isolation?: Isolation;
  /** How long Event Grid waits for an answer; admission keeps each delivery within it. */
  responseWindowMs?: number;
  /** Monotonic milliseconds; defaults to `performance.now`. */
  now?: () => number;
}

/** A snapshot of a runner, for telemetry and tests. */
export interface ImageRunnerState extends LimiterState {
  /** Worker threads alive now (0 inline). */
  threads: number;
}

/**
 * Images whose estimate passes this run in threads that exit as soon as they are idle: WASM
 * memory never shrinks, so a thread that decoded a 24 MP PNG would keep that memory for good
 * and the budget, given back when the image ends, would no longer hold. Smaller images keep
 * their threads warm (no codec start-up per image).
 */
export const LARGE_IMAGE_BYTES = 160 * 1024 * 1024;

/** One image admitted before its download: its thread, its memory and its share of time. */
export interface ImageSlot {
  /**
   * Processes the downloaded input, first growing the slot's memory to the image's own
   * estimate when the header read before admission said less (`InstanceBusyError` when that
   * memory does not come free within the time limit).
   */
  process(bytes: Uint8Array, options: Partial<ProcessOptions>): Promise<ProcessResult>;
  /** Gives back what the slot holds (always call it, in a `finally`). */
  release(): void;
}

/** Processes images within a concurrency limit, a memory budget and a time limit. */
export class ImageRunner {
  readonly settings: Readonly<ImageRunnerOptions>;
  readonly #limiter: ResourceLimiter;
  readonly #time: TimeAdmission;
  readonly #pools: { warm: ImageWorkerPool; large: ImageWorkerPool } | undefined;
  readonly #now: () => number;

  constructor(settings: ImageRunnerOptions) {
    this.settings = Object.freeze({ ...settings });
    this.#now = settings.now ?? (() => performance.now());
    this.#limiter = new ResourceLimiter({
      concurrency: settings.concurrency,
      memoryBudgetBytes: settings.memoryBudgetMb * 1024 * 1024,
    });
    this.#time = new TimeAdmission({
      concurrency: settings.concurrency,
      responseWindowMs: settings.responseWindowMs ?? 30_000,
      now: this.#now,
    });
    const pool = (idleTimeoutMs?: number) =>
      new ImageWorkerPool({
        threads: settings.concurrency,
        timeoutMs: settings.timeoutMs,
        idleTimeoutMs,
      });
    this.#pools = settings.isolation === 'inline' ? undefined : { warm: pool(), large: pool(0) };
  }

  /** When a delivery that arrived at `arrivedAt` (monotonic ms) must have its answer ready. */
  deadline(arrivedAt: number): number {
    return this.#time.deadline(arrivedAt);
  }

  /** When an image of `declaredBytes` queued now is expected to end, behind the work here. */
  expectedEnd(declaredBytes: number): number {
    return this.#time.expectedEnd(declaredBytes);
  }

  /**
   * Counts an image of `declaredBytes` in the backlog from now (for `expectedEnd`), before it
   * reaches `admit`: a run queued behind a name lock or a header read is work ahead all the same.
   */
  enqueue(declaredBytes: number): TimeTicket {
    return this.#time.enter(declaredBytes);
  }

  /**
   * Takes a thread slot and `estimatedBytes` of the memory budget for one image, in arrival
   * order, before its input is downloaded: the download and the decode then happen within
   * memory already granted. `queued`, from `enqueue`, is the image's place in the backlog.
   * Waits as long as the work ahead takes; the delivery that asked need not wait that long
   * (see `process-blob.ts`).
   */
  async admit(
    declaredBytes: number,
    estimatedBytes: number,
    queued?: TimeTicket,
  ): Promise<ImageSlot> {
    const ticket = queued ?? this.#time.enter(declaredBytes);
    let grant: Grant;
    try {
      grant = await this.#limiter.acquire(Math.max(estimatedBytes, declaredBytes * 2));
    } catch (error) {
      ticket.finish();
      throw error;
    }
    ticket.started();
    return this.#slot(ticket, grant);
  }

  /** Like `processImage`, but waits for a slot and the memory it needs, and stops at the limit. */
  process(bytes: Uint8Array, options: Partial<ProcessOptions>): Promise<ProcessResult> {
    const estimate = estimateImageBytes(bytes, options.maxPixels);
    return this.#limiter.run(estimate, () => this.#run(bytes, options, estimate));
  }

  /** The admitted image's slot: its memory grows if the image needs more than its header said. */
  #slot(ticket: TimeTicket, grant: Grant): ImageSlot {
    const since = this.#now();
    let waitedMs = 0;
    const process = async (bytes: Uint8Array, options: Partial<ProcessOptions>) => {
      const estimate = estimateImageBytes(bytes, options.maxPixels);
      if (estimate > grant.bytes) {
        const waitStarted = this.#now();
        await grant.resize(estimate, this.settings.timeoutMs).catch((error: unknown) => {
          throw busyOr(error, options.name ?? 'input', 'no memory for the image came free');
        });
        waitedMs = this.#now() - waitStarted;
      }
      return this.#run(bytes, options, estimate);
    };
    return {
      process,
      release: () => {
        grant.release();
        ticket.finish(this.#now() - since - waitedMs);
      },
    };
  }

  #run(
    bytes: Uint8Array,
    options: Partial<ProcessOptions>,
    estimate: number,
    timeoutMs = this.settings.timeoutMs,
  ): Promise<ProcessResult> {
    if (this.#pools === undefined) return processImage(bytes, options);
    const pool = estimate > LARGE_IMAGE_BYTES ? this.#pools.large : this.#pools.warm;
    return pool.process(bytes, options, timeoutMs);
  }

  /** Current load and peaks. */
  state(): ImageRunnerState {
    const threads =
      this.#pools === undefined ? 0 : this.#pools.warm.threads + this.#pools.large.threads;
    return { ...this.#limiter.state(), threads };
  }

  /** Stops the worker threads. */
  async close(): Promise<void> {
    await Promise.all([this.#pools?.warm.close(), this.#pools?.large.close()]);
  }
}

/** A wait that expired, as `InstanceBusyError`; anything else as it is. */
function busyOr(error: unknown, name: string, reason: string): unknown {
  return error instanceof WaitExpiredError ? new InstanceBusyError(name, reason) : error;
}
