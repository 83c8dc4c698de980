/**
 * Admission: whether this instance can take one more delivery and still answer Event Grid
 * within its response window. Decided when the delivery arrives, before anything is
 * downloaded, from the work already admitted and a running estimate of how long an image of a
 * given size takes here; a delivery that could not finish in time is refused at once
 * (`InstanceBusyError`), so Event Grid retries it later instead of timing out while it waits.
 */

/**
 * How long a delivery takes here, download to last write, learnt from the ones done: a fixed
 * cost plus a cost per input megabyte. The estimate adds twice the running mean deviation to
 * the mean, so most deliveries end before it says (a late answer costs a redelivery, an early
 * one nothing).
 */
export class ServiceTimeModel {
  #msPerMegabyte: number;
  #deviation = 0;

  constructor(
    /** Start-up cost of one delivery (storage round trips, decode set-up, encoders, writes). */
    private readonly fixedMs = 250,
    /** The first guess per input megabyte, until deliveries have been measured. */
    initialMsPerMegabyte = 60,
    /** Weight of the newest measurement in the running averages. */
    private readonly weight = 0.2,
  ) {
    this.#msPerMegabyte = initialMsPerMegabyte;
  }

  /** Expected wall time of a delivery of an input of `bytes`. */
  estimateMs(bytes: number): number {
    return this.fixedMs + (bytes / 1_048_576) * (this.#msPerMegabyte + 2 * this.#deviation);
  }

  /** Learns from one delivery of `bytes` that took `ms` (wall time, contention included). */
  observe(bytes: number, ms: number): void {
    if (bytes < 262_144) return; // too small to say anything per byte
    const perMegabyte = Math.max(0, ms - this.fixedMs) / (bytes / 1_048_576);
    const error = perMegabyte - this.#msPerMegabyte;
    this.#msPerMegabyte += this.weight * error;
    this.#deviation += this.weight * (Math.abs(error) - this.#deviation);
  }
}

/** One admitted delivery's share of the instance's time. */
export interface Admitted {
  /** When the delivery must be answered by (monotonic ms). */
  readonly deadline: number;
  /** True when nothing else was admitted: it runs whatever the estimate says. */
  readonly alone: boolean;
  /** The latest moment work on an input of `bytes` may start and still end by the deadline. */
  startBy(bytes: number): number;
  /** Marks the delivery's own work as started now (the download), for those behind it. */
  started(): void;
  /** Ends the delivery's share, learning from `serviceMs` (its own work, waits left out). */
  finish(serviceMs?: number): void;
}

/** What admission needs to know. */
export interface AdmissionOptions {
  /** Images processed at the same time. */
  concurrency: number;
  /** How long Event Grid waits for the answer. */
  responseWindowMs: number;
  /** Monotonic milliseconds (`performance.now`). */
  now: () => number;
  model?: ServiceTimeModel;
}

interface Pending {
  estimateMs: number;
  startedAt?: number;
}

/** The time side of admission: the queue of admitted work, in estimated milliseconds. */
export class TimeAdmission {
  readonly #pending = new Set<Pending>();
  readonly #model: ServiceTimeModel;

  constructor(private readonly options: AdmissionOptions) {
    this.#model = options.model ?? new ServiceTimeModel();
  }

  /**
   * Time left for the answer after the work, reserved for the result writes and the answer
   * itself: a fifth of the window, at least half a second.
   */
  get marginMs(): number {
    return Math.max(500, this.options.responseWindowMs / 5);
  }

  /**
   * Admits a delivery that arrived at `arrivedAt` for an input of `declaredBytes` (unknown:
   * the expected size of what came before), or says why it cannot end in time.
   */
  admit(arrivedAt: number, declaredBytes: number): Admitted | string {
    const deadline = arrivedAt + this.options.responseWindowMs - this.marginMs;
    const own = this.#model.estimateMs(declaredBytes);
    const expectedEnd = this.options.now() + this.#backlogMs() / this.options.concurrency + own;
    // Alone, an image the estimate says cannot end in time is admitted all the same: refusing it
    // could never help, and its redelivery will find the run in flight, then its results.
    const alone = this.#pending.size === 0;
    if (expectedEnd > deadline && !alone) {
      const ahead = this.#pending.size;
      return `${ahead} image(s) ahead would end it about ${Math.round(expectedEnd - deadline)} ms after the ${this.options.responseWindowMs} ms response window`;
    }
    const entry: Pending = { estimateMs: own };
    this.#pending.add(entry);
    return this.#admitted(entry, deadline, alone, declaredBytes);
  }

  #admitted(entry: Pending, deadline: number, alone: boolean, bytes: number): Admitted {
    const { now } = this.options;
    return {
      deadline,
      alone,
      startBy: (size) => deadline - this.#model.estimateMs(size),
      started: () => {
        entry.startedAt = now();
      },
      finish: (serviceMs) => {
        if (!this.#pending.delete(entry)) return;
        if (serviceMs !== undefined) this.#model.observe(bytes, serviceMs);
      },
    };
  }

  /** Estimated milliseconds of work still to do for everything admitted. */
  #backlogMs(): number {
    const now = this.options.now();
    let total = 0;
    for (const entry of this.#pending) {
      const done = entry.startedAt === undefined ? 0 : now - entry.startedAt;
      total += Math.max(0, entry.estimateMs - done);
    }
    return total;
  }
}
