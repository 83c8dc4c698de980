/**
 * Admission in time: whether a delivery can wait here for its image and still answer Event Grid
 * within its response window. Decided when the delivery arrives, before anything is
 * downloaded, from the work queued and running here and a running estimate of how long an
 * image of a given size takes; a delivery whose image could not end in time is answered at
 * once with a retryable refusal, while its image keeps its place in this instance's queue.
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

/** One image's share of the instance's time, from the moment it queues to its end. */
export interface TimeTicket {
  /** Marks the image's own work as started now (the download), for those behind it. */
  started(): void;
  /** Ends the share, learning from `serviceMs` (its own work, waits left out). */
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

/**
 * The time side of admission: the work queued and running here, in estimated milliseconds,
 * and when a delivery must be answered. It never refuses work: it says whether a delivery
 * can wait for its image or must be answered at once (to be retried while the work goes on).
 */
export class TimeAdmission {
  readonly #pending = new Set<Pending>();
  readonly #model: ServiceTimeModel;

  constructor(private readonly options: AdmissionOptions) {
    this.#model = options.model ?? new ServiceTimeModel();
  }

  /**
   * Time left for the answer after the work: the result writes, and what passes outside the
   * handler (the host reading the request and sending the answer, a busy instance's event
   * loop, the network), which does not shrink with the window. A fifth of the window, at least
   * 2 s (on one instance under a burst, on 2 busy cores, an answer its host ended within a 5 s
   * window reached Event Grid after 5.4 s), but never more than half the window.
   */
  get marginMs(): number {
    const windowMs = this.options.responseWindowMs;
    return Math.min(windowMs / 2, Math.max(2_000, windowMs / 5));
  }

  /** When a delivery that arrived at `arrivedAt` must have its answer ready. */
  deadline(arrivedAt: number): number {
    return arrivedAt + this.options.responseWindowMs - this.marginMs;
  }

  /**
   * When an image of `declaredBytes` queued now would be expected to end: behind everything
   * queued and running here, spread over the threads, plus its own time.
   */
  expectedEnd(declaredBytes: number): number {
    const own = this.#model.estimateMs(declaredBytes);
    return this.options.now() + this.#backlogMs() / this.options.concurrency + own;
  }

  /** Counts an image of `bytes` as queued here until its ticket is finished. */
  enter(bytes: number): TimeTicket {
    const entry: Pending = { estimateMs: this.#model.estimateMs(bytes) };
    this.#pending.add(entry);
    return {
      started: () => {
        entry.startedAt = this.options.now();
      },
      finish: (serviceMs) => {
        if (!this.#pending.delete(entry)) return;
        if (serviceMs !== undefined) this.#model.observe(bytes, serviceMs);
      },
    };
  }

  /** Images queued or running. */
  get size(): number {
    return this.#pending.size;
  }

  /** Estimated milliseconds of work still to do for everything queued and running. */
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
