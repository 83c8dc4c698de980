/**
 * The runs queued or in progress on this instance, one per input version. A run outlives the
 * delivery that started it: Event Grid gives a delivery a fixed window, and an image that
 * cannot end within it keeps its place here while the delivery is answered with a retryable
 * refusal. A redelivery of the same version joins the run instead of starting another, and
 * finds its results once it has ended. Each run keeps when it was expected to end when it was
 * queued, so a delivery that joins it can tell whether waiting for it is worth holding its
 * host slot.
 */
import { beforeDeadline } from './before-deadline.js';

interface Run<T> {
  promise: Promise<T>;
  /** When it was expected to end (monotonic ms), as estimated when it was queued. */
  expectedEnd: number;
  /** Deliveries waiting for it now. */
  waiting: number;
}

/** Runs by key (input name and eTag), at most `capacity` at once. */
export class RunsInFlight<T> {
  readonly #runs = new Map<string, Run<T>>();

  constructor(
    /** Runs this instance will hold; beyond it a delivery is refused and nothing is queued. */
    readonly capacity: number,
    /** Told of a run that failed with no delivery waiting for it, so the failure is still seen. */
    private readonly onUnwatchedFailure: (key: string, error: unknown) => void,
  ) {}

  /** Whether a run for `key` is queued or in progress. */
  has(key: string): boolean {
    return this.#runs.has(key);
  }

  /**
   * Starts the run for `key` from `start` (`started`), expected to end at `expectedEnd`
   * (monotonic ms; default never known), unless one is in flight (`joined`); `full` when the
   * instance already holds `capacity` runs.
   */
  join(
    key: string,
    start: () => Promise<T>,
    expectedEnd = Number.POSITIVE_INFINITY,
  ): 'started' | 'joined' | 'full' {
    if (this.#runs.has(key)) return 'joined';
    if (this.#runs.size >= this.capacity) return 'full';
    const run: Run<T> = { promise: start(), expectedEnd, waiting: 0 };
    this.#runs.set(key, run);
    run.promise.then(
      () => this.#runs.delete(key),
      (error: unknown) => {
        this.#runs.delete(key);
        if (run.waiting === 0) this.onUnwatchedFailure(key, error);
      },
    );
    return 'started';
  }

  /** When the run for `key` was expected to end when it was queued; undefined when none is. */
  expectedEnd(key: string): number | undefined {
    return this.#runs.get(key)?.expectedEnd;
  }

  /**
   * What the run for `key` ends with, if it ends within `ms` (it rejects as the run does);
   * undefined when it goes on longer, or none is in flight.
   */
  async wait(key: string, ms: number): Promise<T | undefined> {
    const run = this.#runs.get(key);
    if (run === undefined) return undefined;
    run.waiting += 1;
    try {
      const ended = await beforeDeadline(run.promise, ms);
      return ended === 'late' ? undefined : ended;
    } finally {
      run.waiting -= 1;
    }
  }

  /** Runs queued or in progress. */
  get size(): number {
    return this.#runs.size;
  }
}
