/**
 * The local runtime's delivery half of Event Grid: a queue of events, delivered at most
 * `concurrency` at a time through a transport, each failed delivery tried again after the
 * wait its retry schedule names, and an event that fails its last attempt handed on (to be
 * dead-lettered). The transport and the schedule are parts passed in, so a webhook or
 * Event Grid's own schedule can replace today's in-process call and exponential back-off.
 */
import type { Outcome } from '../process-blob.js';
import type { EventGridStorageEvent } from './events.js';
import { sleep, type RetrySchedule } from './retry.js';
import type { BlobChange } from './watcher.js';

/** One event on its way to the handler, and how many times it was tried so far. */
export interface Delivery extends BlobChange {
  attempts: number;
}

/** What happened to one event, reported once per event when it is done. */
export interface DeliveryResult {
  event: EventGridStorageEvent;
  /** The blob the event is about. */
  name: string;
  kind: 'created' | 'deleted';
  attempts: number;
  /** The handler's outcome; absent when the event was dead-lettered. */
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

/** Takes one event to the handler; resolves with its outcome, rejects when delivery failed. */
export type DeliveryTransport = (
  event: EventGridStorageEvent,
  attempt: DeliveryAttempt,
) => Promise<Outcome>;

/** A failed delivery that will be tried again. */
export interface RetryNotice {
  name: string;
  attempt: number;
  delayMs: number;
  error: unknown;
}

/** Options of `Deliverer`. */
export interface DelivererOptions {
  transport: DeliveryTransport;
  schedule: RetrySchedule;
  /** Events delivered at the same time. */
  concurrency: number;
  /** Called when an event was delivered. */
  onDelivered?: (result: DeliveryResult) => void;
  /** Called after each failed delivery that will be retried. */
  onRetry?: (notice: RetryNotice) => void;
  /**
   * Takes an event whose last attempt failed (it is dead-lettered there). Awaited in the
   * event's delivery slot, so `idle()` waits for it; `signal` aborts when the deliverer stops.
   */
  onExhausted: (delivery: Delivery, error: unknown, signal: AbortSignal) => Promise<void>;
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

/**
 * Delivers events with Event Grid's rules: at least once, retried on a schedule, handed on
 * when out of attempts. Running from construction; `stop()` drops what waits, `start()`
 * takes events again.
 */
export class Deliverer {
  readonly #options: DelivererOptions;
  readonly #queue: Delivery[] = [];
  #inFlight = 0;
  #waitingRetries = 0;
  #idleWaiters: (() => void)[] = [];
  /** Aborted by `stop()`: ends back-off waits and refuses new events. */
  #run = new AbortController();

  constructor(options: DelivererOptions) {
    this.#options = options;
  }

  /** Queues an event for its first delivery (ignored while stopped). */
  enqueue(change: BlobChange): void {
    this.#push({ ...change, attempts: 0 });
  }

  /** Takes events again after `stop()`. */
  start(): void {
    if (this.#run.signal.aborted) this.#run = new AbortController();
  }

  /** Resolves when no event is queued, in flight or waiting for a retry. */
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
    while (!this.#run.signal.aborted && this.#inFlight < this.#options.concurrency) {
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
    const { transport, schedule } = this.#options;
    delivery.attempts += 1;
    try {
      const attempt = { attempt: delivery.attempts, maxAttempts: schedule.maxAttempts };
      const outcome = await transport(delivery.event, attempt);
      this.#options.onDelivered?.({ ...resultOf(delivery), outcome });
    } catch (error) {
      if (delivery.attempts < schedule.maxAttempts) this.#retryLater(delivery, error);
      else await this.#options.onExhausted(delivery, error, this.#run.signal);
    }
  }

  #retryLater(delivery: Delivery, error: unknown): void {
    const { signal } = this.#run;
    // Stopping drops the retries still to come; the event stays unprocessed, not dead.
    if (signal.aborted) return;
    const delayMs = this.#options.schedule.nextDelayMs(delivery.attempts);
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
    if (this.#queue.length > 0 || this.#inFlight > 0 || this.#waitingRetries > 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
