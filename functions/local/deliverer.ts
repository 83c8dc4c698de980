/**
 * The local runtime's delivery half of Event Grid: every event is delivered through a
 * transport (the webhook of a Functions host, or an in-process call in tests), each failed
 * delivery tried again after the wait its retry schedule names, and an event that cannot be
 * delivered handed on (to be dead-lettered). As Event Grid:
 * - a delivery not answered within the response window (30 s) counts as failed and its retry
 *   is queued while the first request goes on (its late answer is reported, nothing more);
 * - a refusal retrying cannot fix (400, 401, 403, 413) is handed on at once;
 * - an event is handed on after the last attempt, or when its time to live would pass before
 *   the next one;
 * - nothing caps the deliveries in flight but the endpoint (`concurrency` exists for the
 *   in-process tests, where it stands for the host's own limit).
 */
import { setMaxListeners } from 'node:events';
import type { Outcome } from '../process-blob.js';
import type { DeliveredEvent } from './events.js';
import { sleep, type RetrySchedule } from './retry.js';
import type { BlobChange } from './watcher.js';

/** An event to deliver: a Storage event the watcher raised, or a CloudEvent posted to the topic. */
export interface DeliverableChange extends Omit<BlobChange, 'event'> {
  readonly event: DeliveredEvent;
}

/** One event on its way to the handler, and how many times it was tried so far. */
export interface Delivery extends DeliverableChange {
  attempts: number;
}

/** What happened to one event, reported once per event when it is done. */
export interface DeliveryResult {
  event: DeliveredEvent;
  /** The blob the event is about. */
  name: string;
  kind: 'created' | 'deleted';
  attempts: number;
  /** The handler's outcome, when the transport knows it (an in-process call does). */
  outcome?: Outcome;
  /** Where the dead-letter record was written (`<container>/<path>`). */
  deadLettered?: string;
  /** The last delivery error, for dead-lettered events. */
  error?: string;
}

/** Which attempt a delivery is (1-based), out of how many. */
export interface DeliveryAttempt {
  attempt: number;
  maxAttempts: number;
}

/**
 * Takes one event to the handler; resolves when it was accepted (with the handler's outcome
 * when known), rejects when delivery failed (a `DeliveryError` says how).
 */
export type DeliveryTransport = (
  event: DeliveredEvent,
  attempt: DeliveryAttempt,
) => Promise<Outcome | undefined>;

/** Stable codes of delivery failures. */
export type DeliveryErrorCode =
  /** No answer within the response window. */
  | 'DELIVERY_TIMED_OUT'
  /** A non-success answer or a failed connection: retried. */
  | 'DELIVERY_FAILED'
  /** An answer retrying cannot change (400, 401, 403, 413): dead-lettered at once. */
  | 'DELIVERY_REFUSED'
  /** The event's time to live would pass before the next attempt. */
  | 'TIME_TO_LIVE_EXCEEDED';

/** Why one delivery failed. */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  /** Retrying the delivery cannot help when true. */
  readonly permanent: boolean;
  /** The endpoint's HTTP status, when it answered. */
  readonly status: number | undefined;

  constructor(
    readonly code: DeliveryErrorCode,
    message: string,
    options: { permanent?: boolean; status?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.permanent = options.permanent ?? code === 'DELIVERY_REFUSED';
    this.status = options.status;
  }
}

/** A failed delivery that will be tried again. */
export interface RetryNotice {
  name: string;
  attempt: number;
  delayMs: number;
  error: unknown;
}

/** A delivery answered after its window had passed (its retry was already queued). */
export interface LateAnswer {
  name: string;
  attempt: number;
  /** The outcome, or what the transport threw. */
  settled: { outcome: Outcome | undefined } | { error: unknown };
}

/** Options of `Deliverer`. */
export interface DelivererOptions {
  transport: DeliveryTransport;
  schedule: RetrySchedule;
  /** Deliveries in flight at once. Default: no limit (Event Grid's). */
  concurrency?: number;
  /** How long a delivery may go unanswered before it counts as failed. Default: forever. */
  responseWindowMs?: number;
  /** How long after it was queued an event may still be delivered. Default: forever. */
  timeToLiveMs?: number;
  /** Called when an event was delivered. */
  onDelivered?: (result: DeliveryResult) => void;
  /** Called after each failed delivery that will be retried. */
  onRetry?: (notice: RetryNotice) => void;
  /** Called when a delivery answers after its window. */
  onLateAnswer?: (answer: LateAnswer) => void;
  /**
   * Takes an event that cannot be delivered (it is dead-lettered there). Awaited in the
   * event's delivery slot, so `idle()` waits for it; `signal` aborts when the deliverer stops.
   */
  onExhausted: (delivery: Delivery, error: unknown, signal: AbortSignal) => Promise<void>;
  /** A monotonic clock in ms. Default `performance.now`. */
  now?: () => number;
}

/** The fields of a result every report shares. */
export function resultOf(delivery: Delivery): Omit<DeliveryResult, 'outcome'> {
  const { event, name, kind, attempts } = delivery;
  return { event, name, kind, attempts };
}

/** The message of anything thrown, for reports and dead-letter records. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What one attempt came to: an answer in time, or none. */
type AttemptResult =
  { kind: 'delivered'; outcome: Outcome | undefined } | { kind: 'failed'; error: unknown };

/**
 * Delivers events with Event Grid's rules: at least once, retried on a schedule, handed on
 * when they cannot be delivered. Running from construction; `stop()` drops what waits,
 * `start()` takes events again.
 */
export class Deliverer {
  readonly #options: DelivererOptions;
  readonly #now: () => number;
  readonly #queue: Delivery[] = [];
  /** When each event was first queued, for its time to live. */
  readonly #queuedAt = new WeakMap<Delivery, number>();
  #inFlight = 0;
  /** Requests still open after their window passed: the endpoint is still working on them. */
  #lateOpen = 0;
  #waitingRetries = 0;
  #idleWaiters: (() => void)[] = [];
  /** Aborted by `stop()`: ends back-off waits and refuses new events. */
  #run = Deliverer.#runController();

  constructor(options: DelivererOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Every retry waiting listens on the run's signal: a burst has hundreds at once. */
  static #runController(): AbortController {
    const controller = new AbortController();
    setMaxListeners(0, controller.signal);
    return controller;
  }

  /** Queues an event for its first delivery (ignored while stopped). */
  enqueue(change: DeliverableChange): void {
    const delivery = { ...change, attempts: 0 };
    this.#queuedAt.set(delivery, this.#now());
    this.#push(delivery);
  }

  /** Takes events again after `stop()`. */
  start(): void {
    if (this.#run.signal.aborted) this.#run = Deliverer.#runController();
  }

  /**
   * Resolves when no event is queued, in flight or waiting for a retry, and every request
   * answered late has been answered.
   */
  idle(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#idleWaiters.push(resolve);
      this.#settleIdle();
    });
  }

  /** Drops queued events and retries still to come, and waits for deliveries in flight. */
  async stop(): Promise<void> {
    this.#run.abort();
    this.#queue.length = 0;
    await this.idle();
  }

  #push(delivery: Delivery): void {
    if (this.#run.signal.aborted) return;
    this.#queue.push(delivery);
    this.#pump();
  }

  #pump(): void {
    const limit = this.#options.concurrency ?? Number.POSITIVE_INFINITY;
    while (!this.#run.signal.aborted && this.#inFlight < limit) {
      const delivery = this.#queue.shift();
      if (delivery === undefined) return;
      this.#inFlight += 1;
      void this.#deliver(delivery).finally(() => {
        this.#inFlight -= 1;
        this.#pump();
        this.#settleIdle();
      });
    }
  }

  async #deliver(delivery: Delivery): Promise<void> {
    delivery.attempts += 1;
    const result = await this.#attempt(delivery);
    if (result.kind === 'delivered') {
      this.#options.onDelivered?.({ ...resultOf(delivery), outcome: result.outcome });
      return;
    }
    await this.#failed(delivery, result.error);
  }

  /** One attempt, raced against the response window; a late answer is reported alone. */
  #attempt(delivery: Delivery): Promise<AttemptResult> {
    const { transport, schedule, responseWindowMs } = this.#options;
    const attempt = { attempt: delivery.attempts, maxAttempts: schedule.maxAttempts };
    const answer: Promise<AttemptResult> = transport(delivery.event, attempt).then(
      (outcome) => ({ kind: 'delivered', outcome }),
      (error: unknown) => ({ kind: 'failed', error }),
    );
    if (responseWindowMs === undefined) return answer;
    return new Promise((resolve) => {
      // Whichever comes first decides the attempt: the answer, or the end of the window.
      let decided = false;
      const timer = setTimeout(() => {
        if (decided) return;
        decided = true;
        const message = `no answer within the ${responseWindowMs / 1000} s response window`;
        resolve({ kind: 'failed', error: new DeliveryError('DELIVERY_TIMED_OUT', message) });
        this.#reportLate(delivery, answer);
      }, responseWindowMs);
      void answer.then((result) => {
        if (decided) return;
        decided = true;
        clearTimeout(timer);
        resolve(result);
      });
    });
  }

  #reportLate(delivery: Delivery, answer: Promise<AttemptResult>): void {
    this.#lateOpen += 1;
    const attempt = delivery.attempts;
    void answer.then((result) => {
      this.#lateOpen -= 1;
      const settled =
        result.kind === 'delivered' ? { outcome: result.outcome } : { error: result.error };
      this.#options.onLateAnswer?.({ name: delivery.name, attempt, settled });
      this.#settleIdle();
    });
  }

  /** After a failed attempt: retry on the schedule, or hand the event on. */
  async #failed(delivery: Delivery, error: unknown): Promise<void> {
    const { schedule, timeToLiveMs } = this.#options;
    const permanent = error instanceof DeliveryError && error.permanent;
    if (permanent || delivery.attempts >= schedule.maxAttempts) {
      await this.#options.onExhausted(delivery, error, this.#run.signal);
      return;
    }
    const delayMs = schedule.nextDelayMs(delivery.attempts);
    const age = this.#now() - (this.#queuedAt.get(delivery) ?? this.#now());
    if (timeToLiveMs !== undefined && age + delayMs > timeToLiveMs) {
      const expired = new DeliveryError(
        'TIME_TO_LIVE_EXCEEDED',
        `the event's time to live (${Math.round(timeToLiveMs / 60_000)} min) passed; last attempt: ${describeError(error)}`,
        { cause: error, status: error instanceof DeliveryError ? error.status : undefined },
      );
      await this.#options.onExhausted(delivery, expired, this.#run.signal);
      return;
    }
    this.#retryLater(delivery, delayMs, error);
  }

  #retryLater(delivery: Delivery, delayMs: number, error: unknown): void {
    const { signal } = this.#run;
    // Stopping drops the retries still to come; the event stays unprocessed, not dead.
    if (signal.aborted) return;
    this.#options.onRetry?.({ name: delivery.name, attempt: delivery.attempts, delayMs, error });
    this.#waitingRetries += 1;
    void sleep(delayMs, signal).then(() => {
      this.#waitingRetries -= 1;
      // Woken by `stop()`: the retry is dropped, even if `start()` came since.
      if (!signal.aborted) this.#push(delivery);
      this.#settleIdle();
    });
  }

  #settleIdle(): void {
    const busy = this.#queue.length + this.#inFlight + this.#waitingRetries + this.#lateOpen;
    if (busy > 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
