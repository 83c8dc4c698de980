/**
 * The local stand-in for Event Grid: watches the input container, turns each new or
 * changed blob into a BlobCreated event and each removed blob into BlobDeleted, and
 * delivers them to the same handler the Functions host calls, with Event Grid's delivery
 * behaviour: retries with exponential back-off, then a dead-letter record. A dead-letter record
 * that cannot be written (storage down) is retried with back-off, then kept in memory and
 * written again at each scan: an event is never dropped.
 */
import { randomUUID } from 'node:crypto';
import type { LogHandler } from '@azure/functions';
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { azureFunctions as functions } from '../azure-functions.js';
import type { Config } from '../config.js';
import { createEventHandler, type EventHandler, type Outcome } from '../process-blob.js';
import {
  blobCreatedEvent,
  blobDeletedEvent,
  localTopic,
  sequencerSource,
  type BlobSnapshot,
  type EventGridStorageEvent,
} from './events.js';

/** Event Grid's retry policy, scaled down for a laptop. */
export interface RetryPolicy {
  /** Deliveries before the event is dead-lettered (Event Grid's default is 30). */
  maxAttempts: number;
  /** Delay before the second attempt; doubles each time. */
  initialDelayMs: number;
  maxDelayMs: number;
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

/** Options of `createLocalPipeline`. */
export interface LocalPipelineOptions {
  config: Config;
  serviceClient: BlobServiceClient;
  /** Defaults to the real handler bound to `config` and `serviceClient`. */
  handler?: EventHandler;
  /** How often `start()` polls the input container. Default 1000 ms. */
  pollIntervalMs?: number;
  /** Events delivered at the same time. Default `config.resources.concurrency`. */
  concurrency?: number;
  retry?: Partial<RetryPolicy>;
  /** Called when an event is done (delivered, or dead-lettered). */
  onResult?: (result: DeliveryResult) => void;
  /** Called after each failed delivery that will be retried. */
  onRetry?: (info: { name: string; attempt: number; delayMs: number; error: unknown }) => void;
  /** Back-off for writing a dead-letter record. Default 5 attempts, 1 s doubling to 30 s. */
  deadLetterRetry?: Partial<RetryPolicy>;
  /**
   * Called once when an event's dead-letter record could not be written after its retries:
   * the event stays in memory (`pendingDeadLetters()`) and is written again at each scan.
   */
  onDeadLetterPending?: (result: DeliveryResult) => void;
  /** Where the handler's `context.log` goes. Default: nowhere (the runtime prints one line per image). */
  logHandler?: LogHandler;
}

/** A running local pipeline. */
export interface LocalPipeline {
  /** Polls the input container until `stop()`. */
  start(): void;
  /** Stops polling and waits for deliveries in flight (retries still waiting are dropped). */
  stop(): Promise<void>;
  /** Lists the input container once and queues an event per change. Returns how many. */
  scan(): Promise<number>;
  /** Resolves when no event is queued, in flight or waiting for a retry. */
  idle(): Promise<void>;
  /** Names of blobs seen in the input container, with the eTag last turned into an event. */
  readonly known: ReadonlyMap<string, string>;
  /**
   * Events that ran out of delivery attempts and whose dead-letter record could not be
   * written yet (storage down); each `scan()` tries again. Lost if the process ends.
   */
  pendingDeadLetters(): DeliveryResult[];
}

interface Delivery {
  event: EventGridStorageEvent;
  name: string;
  kind: 'created' | 'deleted';
  attempts: number;
  lastError?: unknown;
  /** Where its dead-letter record goes: chosen once, so a retried write never makes two. */
  deadLetterPath?: string;
}

const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, initialDelayMs: 1_000, maxDelayMs: 30_000 };

/** Builds the local pipeline; nothing runs until `scan()` or `start()`. */
export function createLocalPipeline(options: LocalPipelineOptions): LocalPipeline {
  const { config, serviceClient } = options;
  const handler = options.handler ?? createEventHandler({ config, serviceClient });
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const deadLetterRetry: RetryPolicy = { ...DEFAULT_RETRY, ...options.deadLetterRetry };
  const concurrency = options.concurrency ?? config.resources.concurrency;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const input = serviceClient.getContainerClient(config.containers.input);
  const topic = localTopic(serviceClient.accountName || 'devstoreaccount1');
  const nextSequencer = sequencerSource();
  const known = new Map<string, { eTag: string; snapshot: BlobSnapshot }>();
  const knownETags = new Map<string, string>();

  const queue: Delivery[] = [];
  const retryTimers = new Set<NodeJS.Timeout>();
  /** Dead-letter records not written yet, with the delivery error they will carry. */
  const pending = new Map<Delivery, string>();
  /** Back-off waits of dead-letter writes; `stop()` ends them early. */
  const wakers = new Set<() => void>();
  let inFlight = 0;
  let idleWaiters: (() => void)[] = [];
  let pollTimer: NodeJS.Timeout | undefined;
  let scanning: Promise<number> | undefined;
  let stopped = false;

  const settleIdle = (): void => {
    if (queue.length === 0 && inFlight === 0 && retryTimers.size === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  };

  const pump = (): void => {
    while (!stopped && inFlight < concurrency && queue.length > 0) {
      const delivery = queue.shift() as Delivery;
      inFlight += 1;
      void deliver(delivery).finally(() => {
        inFlight -= 1;
        pump();
        settleIdle();
      });
    }
  };

  const enqueue = (delivery: Delivery): void => {
    if (stopped) return;
    queue.push(delivery);
    pump();
  };

  async function deliver(delivery: Delivery): Promise<void> {
    delivery.attempts += 1;
    const context = new functions.InvocationContext({
      invocationId: randomUUID(),
      functionName: 'processImage',
      logHandler: options.logHandler ?? (() => undefined),
      retryContext: { retryCount: delivery.attempts - 1, maxRetryCount: retry.maxAttempts - 1 },
    });
    try {
      const outcome = await handler(delivery.event, context);
      options.onResult?.({ ...summary(delivery), outcome });
    } catch (error) {
      delivery.lastError = error;
      // Stopping drops the retries still to come; the event stays unprocessed, not dead.
      if (stopped && delivery.attempts < retry.maxAttempts) return;
      if (delivery.attempts < retry.maxAttempts) {
        const delayMs = Math.min(
          retry.initialDelayMs * 2 ** (delivery.attempts - 1),
          retry.maxDelayMs,
        );
        options.onRetry?.({ name: delivery.name, attempt: delivery.attempts, delayMs, error });
        const timer = setTimeout(() => {
          retryTimers.delete(timer);
          enqueue(delivery);
          settleIdle();
        }, delayMs);
        retryTimers.add(timer);
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      await writeDeadLetter(delivery, message, deadLetterRetry.maxAttempts);
    }
  }

  /**
   * Writes the dead-letter record of `delivery`, up to `attempts` times with back-off. When
   * every attempt fails, the event is kept in `pending` for the next scan, never dropped.
   */
  async function writeDeadLetter(
    delivery: Delivery,
    message: string,
    attempts: number,
  ): Promise<void> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      try {
        const where = await deadLetter(delivery, message);
        pending.delete(delivery);
        options.onResult?.({ ...summary(delivery), deadLettered: where, error: message });
        return;
      } catch (error) {
        lastError = error;
        if (stopped || attempt === attempts) break;
        const delayMs = Math.min(
          deadLetterRetry.initialDelayMs * 2 ** (attempt - 1),
          deadLetterRetry.maxDelayMs,
        );
        await new Promise<void>((resolve) => {
          const wake = (): void => {
            clearTimeout(timer);
            wakers.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, delayMs);
          wakers.add(wake);
        });
      }
    }
    const known = pending.has(delivery);
    pending.set(delivery, message);
    if (!known) options.onDeadLetterPending?.(pendingResult(delivery, message, lastError));
  }

  function pendingResult(delivery: Delivery, message: string, error?: unknown): DeliveryResult {
    const why =
      error === undefined ? '' : `: ${error instanceof Error ? error.message : String(error)}`;
    return {
      ...summary(delivery),
      error: `${message}; the dead-letter record is not written yet${why}`,
    };
  }

  /** One more attempt at every dead-letter record still in memory. */
  async function flushPending(): Promise<void> {
    for (const [delivery, message] of [...pending]) {
      await writeDeadLetter(delivery, message, 1);
    }
  }

  /** Writes the event as Event Grid does: a JSON array with the delivery facts added. */
  async function deadLetter(delivery: Delivery, lastOutcome: string): Promise<string> {
    const now = new Date();
    const pad = (n: number): string => String(n).padStart(2, '0');
    const path = (delivery.deadLetterPath ??= [
      'LOCAL',
      'PROCESSIMAGE',
      now.getUTCFullYear(),
      pad(now.getUTCMonth() + 1),
      pad(now.getUTCDate()),
      pad(now.getUTCHours()),
      `${randomUUID()}.json`,
    ].join('/'));
    const record = [
      {
        ...delivery.event,
        deadLetterReason: 'MaxDeliveryAttemptsExceeded',
        deliveryAttempts: delivery.attempts,
        lastDeliveryOutcome: lastOutcome,
        lastHttpStatusCode: 500,
        publishTime: delivery.event.eventTime,
        lastDeliveryAttemptTime: now.toISOString(),
      },
    ];
    const container = serviceClient.getContainerClient(config.containers.deadletter);
    const body = JSON.stringify(record, null, 2);
    await container.getBlockBlobClient(path).upload(body, Buffer.byteLength(body), {
      blobHTTPHeaders: { blobContentType: 'application/json' },
    });
    return `${config.containers.deadletter}/${path}`;
  }

  async function scanOnce(): Promise<number> {
    await flushPending();
    const seen = new Set<string>();
    let emitted = 0;
    for await (const item of input.listBlobsFlat()) {
      seen.add(item.name);
      const eTag = item.properties.etag;
      if (eTag === undefined || known.get(item.name)?.eTag === eTag) continue;
      const snapshot = snapshotOf(input, item.name, {
        eTag,
        contentLength: item.properties.contentLength ?? 0,
        contentType: item.properties.contentType,
        blobType: item.properties.blobType,
      });
      known.set(item.name, { eTag, snapshot });
      knownETags.set(item.name, eTag);
      const event = blobCreatedEvent(topic, snapshot, nextSequencer());
      enqueue({ event, name: item.name, kind: 'created', attempts: 0 });
      emitted += 1;
    }
    for (const [name, { snapshot }] of known) {
      if (seen.has(name)) continue;
      known.delete(name);
      knownETags.delete(name);
      enqueue({
        event: blobDeletedEvent(topic, snapshot, nextSequencer()),
        name,
        kind: 'deleted',
        attempts: 0,
      });
      emitted += 1;
    }
    return emitted;
  }

  const scan = (): Promise<number> => {
    // One listing at a time, so a slow listing never emits the same change twice.
    scanning ??= scanOnce().finally(() => {
      scanning = undefined;
    });
    return scanning;
  };

  const poll = (): void => {
    if (stopped) return;
    scan()
      .catch((error: unknown) => {
        options.logHandler?.('warning', `Listing ${config.containers.input} failed:`, error);
      })
      .finally(() => {
        if (!stopped) pollTimer = setTimeout(poll, pollIntervalMs);
      });
  };

  return {
    known: knownETags,
    pendingDeadLetters: () =>
      [...pending].map(([delivery, message]) => pendingResult(delivery, message)),
    start() {
      stopped = false;
      if (pollTimer === undefined) poll();
    },
    async stop() {
      stopped = true;
      if (pollTimer !== undefined) clearTimeout(pollTimer);
      pollTimer = undefined;
      for (const timer of retryTimers) clearTimeout(timer);
      retryTimers.clear();
      for (const wake of [...wakers]) wake();
      queue.length = 0;
      await scanning?.catch(() => undefined);
      await new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        settleIdle();
      });
    },
    scan,
    idle() {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        settleIdle();
      });
    },
  };
}

function summary(delivery: Delivery): Omit<DeliveryResult, 'outcome'> {
  return {
    event: delivery.event,
    name: delivery.name,
    kind: delivery.kind,
    attempts: delivery.attempts,
  };
}

function snapshotOf(
  container: ContainerClient,
  name: string,
  properties: Omit<BlobSnapshot, 'container' | 'name' | 'url'>,
): BlobSnapshot {
  return {
    container: container.containerName,
    name,
    url: container.getBlobClient(name).url,
    ...properties,
  };
}
