/**
 * Admission: whether this instance can take one more delivery and still answer Event Grid
 * within its response window. Decided when the delivery arrives, before anything is
 * downloaded, from the work already admitted and a running estimate of how long an image of a
 * given size takes here; a delivery that could not finish in time is refused at once
 * (`InstanceBusyError`), so Event Grid retries it later instead of timing out while it waits.
 */

/** How long images take here, learnt from the ones processed: a fixed cost plus a cost per byte. */
export class ServiceTimeModel {
  #msPerMegabyte: number;

  constructor(
    /** Start-up cost of one image (decode set-up, encoders, result writes). */
    private readonly fixedMs = 150,
    /** The first guess per input megabyte, until images have been measured. */
    initialMsPerMegabyte = 60,
    /** Weight of the newest measurement in the running average. */
    private readonly weight = 0.2,
  ) {
    this.#msPerMegabyte = initialMsPerMegabyte;
  }

  /** Expected wall time of an input of `bytes`. */
  estimateMs(bytes: number): number {
    return this.fixedMs + (bytes / 1_048_576) * this.#msPerMegabyte;
  }

  /** Learns from one image of `bytes` that took `ms` (wall time, contention included). */
  observe(bytes: number, ms: number): void {
    if (bytes < 65_536) return; // too small to say anything per byte
    const perMegabyte = Math.max(0, ms - this.fixedMs) / (bytes / 1_048_576);
    this.#msPerMegabyte += this.weight * (perMegabyte - this.#msPerMegabyte);
  }
}

/** One admitted delivery's share of the instance's time. */
export interface Admitted {
  /** When the delivery must be answered by (monotonic ms). */
  readonly deadline: number;
  /** The latest moment processing may start and still end by the deadline. */
  startBy(bytes: number): number;
  /** Marks processing as started now, for the estimates of those behind it. */
  started(bytes: number): void;
  /** Ends the delivery's share, learning from its processing time when it ran. */
  finish(processedBytes?: number): void;
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
    if (expectedEnd > deadline && this.#pending.size > 0) {
      const ahead = this.#pending.size;
      return `${ahead} image(s) ahead would end it about ${Math.round(expectedEnd - deadline)} ms after the ${this.options.responseWindowMs} ms response window`;
    }
    const entry: Pending = { estimateMs: own };
    this.#pending.add(entry);
    return this.#admitted(entry, deadline);
  }

  #admitted(entry: Pending, deadline: number): Admitted {
    const { now } = this.options;
    return {
      deadline,
      startBy: (bytes) => deadline - this.#model.estimateMs(bytes),
      started: (bytes) => {
        entry.estimateMs = this.#model.estimateMs(bytes);
        entry.startedAt = now();
      },
      finish: (processedBytes) => {
        if (!this.#pending.delete(entry)) return;
        if (processedBytes !== undefined && entry.startedAt !== undefined) {
          this.#model.observe(processedBytes, now() - entry.startedAt);
        }
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
