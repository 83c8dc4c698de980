/**
 * The local runtime's dead-letter destination: an event that ran out of delivery attempts is
 * written as Event Grid writes it (a JSON array holding the event with the delivery facts
 * added) under `LOCAL/PROCESSIMAGE/yyyy/mm/dd/hh/<uuid>.json`. The path is chosen once per
 * event, so a retried write never makes two records. A write that fails is retried on its
 * schedule; when storage stays down the record is kept in memory and tried again at each
 * `flush()`: an event is never dropped (until the process ends).
 */
import { randomUUID } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import {
  DeliveryError,
  describeError,
  resultOf,
  type Delivery,
  type DeliveryResult,
} from './deliverer.js';
import { isCloudEvent } from './events.js';
import { sleep, type RetrySchedule } from './retry.js';

/** Where dead-letter records are written. */
export interface DeadLetterStore {
  /** The container's name, for reporting `<container>/<path>`. */
  readonly container: string;
  /** Writes (or overwrites) the JSON document `body` at `path`. */
  write(path: string, body: string): Promise<void>;
}

/** Options of `DeadLetterWriter`. */
export interface DeadLetterWriterOptions {
  store: DeadLetterStore;
  /** Attempts at each write, and the waits between them. */
  schedule: RetrySchedule;
  /** Called when a record was written. */
  onWritten?: (result: DeliveryResult) => void;
  /** Called once per event when its record could not be written and is kept in memory. */
  onPending?: (result: DeliveryResult) => void;
  /** The clock. Default: the system's. */
  now?: () => Date;
}

/** A record to write: its event, why it failed and where it goes, fixed once. */
interface Letter {
  readonly delivery: Delivery;
  readonly failure: DeliveryFailure;
  readonly path: string;
}

/** A blob container as the dead-letter destination. */
export function blobDeadLetterStore(container: ContainerClient): DeadLetterStore {
  return {
    container: container.containerName,
    async write(path, body) {
      await container.getBlockBlobClient(path).upload(body, Buffer.byteLength(body), {
        blobHTTPHeaders: { blobContentType: 'application/json' },
      });
    },
  };
}

/** Event Grid's dead-letter path for the local subscription, by the hour of `at` (UTC). */
export function deadLetterPath(at: Date, id: string = randomUUID()): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  const hour = [at.getUTCMonth() + 1, at.getUTCDate(), at.getUTCHours()].map(pad);
  return ['LOCAL', 'PROCESSIMAGE', at.getUTCFullYear(), ...hour, `${id}.json`].join('/');
}

/** Why an event could not be delivered, as its dead-letter record says. */
export interface DeliveryFailure {
  /** `MaxDeliveryAttemptsExceeded` (also after a refusal retrying cannot fix, as Azure writes it) or `TimeToLiveExceeded`. */
  reason: 'MaxDeliveryAttemptsExceeded' | 'TimeToLiveExceeded';
  /** The last outcome, in words. */
  message: string;
  /** The endpoint's last HTTP status; absent when it never answered (timed out). */
  status: number | undefined;
}

/**
 * The failure that `error` (what the last delivery threw) stands for. An error without an
 * HTTP status but an answer (an in-process call that threw) counts as the host's 500.
 */
export function deliveryFailure(error: unknown): DeliveryFailure {
  const message = describeError(error);
  if (!(error instanceof DeliveryError)) {
    return { reason: 'MaxDeliveryAttemptsExceeded', message, status: 500 };
  }
  const reason =
    error.code === 'TIME_TO_LIVE_EXCEEDED' ? 'TimeToLiveExceeded' : 'MaxDeliveryAttemptsExceeded';
  return { reason, message, status: error.status };
}

/** The document Event Grid writes for `delivery`, whose last attempt ended at `at`. */
export function deadLetterRecord(
  delivery: Delivery,
  failure: DeliveryFailure,
  at: Date,
): Record<string, unknown>[] {
  return [
    {
      ...delivery.event,
      deadLetterReason: failure.reason,
      deliveryAttempts: delivery.attempts,
      lastDeliveryOutcome: failure.message,
      ...(failure.status === undefined ? {} : { lastHttpStatusCode: failure.status }),
      publishTime: isCloudEvent(delivery.event) ? delivery.event.time : delivery.event.eventTime,
      lastDeliveryAttemptTime: at.toISOString(),
    },
  ];
}

/** Writes dead-letter records, keeping in memory those storage would not take yet. */
export class DeadLetterWriter {
  readonly #options: DeadLetterWriterOptions;
  readonly #now: () => Date;
  /** Records not written yet; each `flush()` tries them again. */
  readonly #pending = new Set<Letter>();

  constructor(options: DeadLetterWriterOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Writes the record of `delivery`, which failed with `error`, retrying on the schedule
   * until `signal` aborts. Never rejects: a record not written is kept for `flush()`.
   */
  async write(delivery: Delivery, error: unknown, signal: AbortSignal): Promise<void> {
    const letter = {
      delivery,
      failure: deliveryFailure(error),
      path: deadLetterPath(this.#now()),
    };
    await this.#tryWrite(letter, this.#options.schedule.maxAttempts, signal);
  }

  /** One more attempt at every record kept in memory. */
  async flush(): Promise<void> {
    for (const letter of [...this.#pending]) await this.#tryWrite(letter, 1);
  }

  /** The events whose record is not written yet. */
  pending(): DeliveryResult[] {
    return [...this.#pending].map((letter) => pendingResult(letter));
  }

  async #tryWrite(letter: Letter, attempts: number, signal?: AbortSignal): Promise<void> {
    const { store, schedule } = this.#options;
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      try {
        const record = deadLetterRecord(letter.delivery, letter.failure, this.#now());
        await store.write(letter.path, JSON.stringify(record, null, 2));
        this.#pending.delete(letter);
        const where = `${store.container}/${letter.path}`;
        this.#options.onWritten?.({
          ...resultOf(letter.delivery),
          deadLettered: where,
          error: letter.failure.message,
        });
        return;
      } catch (error) {
        lastError = error;
        if (attempt === attempts || signal === undefined || signal.aborted) break;
        await sleep(schedule.nextDelayMs(attempt), signal);
      }
    }
    if (this.#pending.has(letter)) return;
    this.#pending.add(letter);
    this.#options.onPending?.(pendingResult(letter, lastError));
  }
}

function pendingResult(letter: Letter, error?: unknown): DeliveryResult {
  const why = error === undefined ? '' : `: ${describeError(error)}`;
  return {
    ...resultOf(letter.delivery),
    error: `${letter.failure.message}; the dead-letter record is not written yet${why}`,
  };
}
