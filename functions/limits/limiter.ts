/**
 * A concurrency limit and a memory budget for images in one process. Each image asks for an
 * estimate of the memory it will need; it starts when a slot is free and the estimate fits in
 * what is left of the budget, so a large image waits instead of pushing the process out of
 * memory. Grants are first come, first served: a large image at the head of the queue is not
 * overtaken forever by small ones. An image larger than the whole budget runs alone.
 */
import { InvalidOptionError } from '../../lib/errors.js';

/** How much one process may take on at once. */
export interface LimiterOptions {
  /** Images processed at the same time. */
  concurrency: number;
  /** Bytes the images in flight may use together (estimated). */
  memoryBudgetBytes: number;
}

/** A snapshot of the limiter, for health checks, telemetry and tests. */
export interface LimiterState {
  active: number;
  queued: number;
  /** Estimated bytes held by the images in flight (each clamped to the budget). */
  usedBytes: number;
  /** The highest `active` seen since creation. */
  peakActive: number;
  /** The highest `usedBytes` seen since creation. */
  peakUsedBytes: number;
}

interface Waiter {
  cost: number;
  grant: () => void;
}

/** The wait for a slot passed its deadline; nothing was taken. */
export class WaitExpiredError extends Error {
  override readonly name = 'WaitExpiredError';
}

/** A slot held with some memory; the memory can grow once the input is known. */
export interface Grant {
  /** Bytes of the budget held now. */
  readonly bytes: number;
  /**
   * Holds `bytes` instead, waiting up to `waitMs` for the growth to fit beside what others
   * hold (`WaitExpiredError` then, holding what it held).
   */
  resize(bytes: number, waitMs: number): Promise<void>;
  /** Gives the slot and its memory back; twice is harmless. */
  release(): void;
}

interface Grower {
  delta: number;
  grant: () => void;
}

/** Caps images in flight by count and by estimated memory. */
export class ResourceLimiter {
  readonly concurrency: number;
  readonly memoryBudgetBytes: number;
  #active = 0;
  #used = 0;
  #peakActive = 0;
  #peakUsed = 0;
  readonly #queue: Waiter[] = [];
  /** Holders of a slot waiting for more memory: served before the queue, which holds none. */
  readonly #growers: Grower[] = [];

  constructor(options: LimiterOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new InvalidOptionError('concurrency', 'positive integer', options.concurrency);
    }
    if (!Number.isFinite(options.memoryBudgetBytes) || options.memoryBudgetBytes <= 0) {
      throw new InvalidOptionError(
        'memoryBudgetBytes',
        'positive number',
        options.memoryBudgetBytes,
      );
    }
    this.concurrency = options.concurrency;
    this.memoryBudgetBytes = options.memoryBudgetBytes;
  }

  /** Runs `task` once a slot and `estimatedBytes` of the budget are free, then gives both back. */
  async run<T>(estimatedBytes: number, task: () => Promise<T>): Promise<T> {
    const grant = await this.acquire(estimatedBytes);
    try {
      return await task();
    } finally {
      grant.release();
    }
  }

  /** Takes a slot and `bytes` of the budget once both are free (first come, first served). */
  async acquire(bytes: number): Promise<Grant> {
    let held = this.#clamp(bytes);
    await this.#acquire(held);
    let released = false;
    return {
      get bytes() {
        return held;
      },
      resize: async (wanted, resizeWaitMs) => {
        const target = this.#clamp(wanted);
        if (target > held) await this.#grow(target - held, resizeWaitMs);
        else this.#free(held - target);
        held = target;
      },
      release: () => {
        if (released) return;
        released = true;
        this.#active -= 1;
        this.#free(held);
      },
    };
  }

  /** Current load and the peaks seen so far. */
  state(): LimiterState {
    return {
      active: this.#active,
      queued: this.#queue.length,
      usedBytes: this.#used,
      peakActive: this.#peakActive,
      peakUsedBytes: this.#peakUsed,
    };
  }

  #clamp(estimatedBytes: number): number {
    if (!Number.isFinite(estimatedBytes) || estimatedBytes < 0) return this.memoryBudgetBytes;
    return Math.min(estimatedBytes, this.memoryBudgetBytes);
  }

  #fits(cost: number): boolean {
    return this.#active < this.concurrency && this.#used + cost <= this.memoryBudgetBytes;
  }

  #acquire(cost: number): Promise<void> {
    if (this.#queue.length === 0 && this.#growers.length === 0 && this.#fits(cost)) {
      this.#take(cost);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#queue.push({ cost, grant: resolve });
    });
  }

  #grow(delta: number, waitMs: number): Promise<void> {
    if (this.#growers.length === 0 && this.#used + delta <= this.memoryBudgetBytes) {
      this.#used += delta;
      this.#peakUsed = Math.max(this.#peakUsed, this.#used);
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grower: Grower = { delta, grant: () => (clearTimeout(timer), resolve()) };
      const timer = setTimeout(
        () => {
          this.#growers.splice(this.#growers.indexOf(grower), 1);
          reject(new WaitExpiredError(`no memory for the image within ${Math.round(waitMs)} ms`));
          this.#grantWaiting();
        },
        Math.max(0, waitMs),
      );
      this.#growers.push(grower);
    });
  }

  #take(cost: number): void {
    this.#active += 1;
    this.#used += cost;
    this.#peakActive = Math.max(this.#peakActive, this.#active);
    this.#peakUsed = Math.max(this.#peakUsed, this.#used);
  }

  #free(cost: number): void {
    this.#used -= cost;
    this.#grantWaiting();
  }

  #grantWaiting(): void {
    for (let grower = this.#growers[0]; grower; grower = this.#growers[0]) {
      if (this.#used + grower.delta > this.memoryBudgetBytes) return;
      this.#growers.shift();
      this.#used += grower.delta;
      this.#peakUsed = Math.max(this.#peakUsed, this.#used);
      grower.grant();
    }
    for (let head = this.#queue[0]; head && this.#fits(head.cost); head = this.#queue[0]) {
      this.#queue.shift();
      this.#take(head.cost);
      head.grant();
    }
  }
}
