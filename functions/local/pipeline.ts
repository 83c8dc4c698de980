/**
 * The local stand-in for Event Grid, composed of parts with one job each: events come from
 * the watcher (which lists the input container and raises BlobCreated/BlobDeleted for what
 * changed) or are published by another source (the recording proxy's `StorageEventSource`);
 * the deliverer takes each event to the handler, through a transport (the host's webhook, or
 * an in-process call), retrying on a schedule; and the dead-letter writer records the events
 * that could not be delivered (kept in memory and written again at each scan while storage is
 * down: an event is never dropped).
 */
import type { LogHandler } from '@azure/functions';
import type { BlobServiceClient } from '@azure/storage-blob';
import type { Config } from '../config.js';
import type { EventHandler } from '../process-blob.js';
import { blobDeadLetterStore, DeadLetterWriter } from './dead-letter.js';
import {
  Deliverer,
  type DeliverableChange,
  type DeliveryResult,
  type DeliveryTransport,
  type LateAnswer,
  type RetryNotice,
} from './deliverer.js';
import { localTopic } from './events.js';
import { Poller } from './poller.js';
import { exponentialBackoff, type RetryPolicy, type RetrySchedule } from './retry.js';
import { inProcessTransport } from './transport.js';
import { BlobWatcher, listBlobs } from './watcher.js';

export type { DeliveryResult } from './deliverer.js';
export type { RetryPolicy } from './retry.js';

/**
 * How events reach the handler: `handler` is called in this process (the app's
 * `processImage`, or a test's); `transport` delivers another way (the host's webhook).
 */
export type PipelineDelivery =
  | { handler: EventHandler; transport?: undefined }
  | { transport: DeliveryTransport; handler?: undefined };

/** Options of `createLocalPipeline`. */
export type LocalPipelineOptions = PipelineOptions & PipelineDelivery;

/** Options of `createLocalPipeline` besides how events reach the handler. */
export interface PipelineOptions {
  config: Config;
  serviceClient: BlobServiceClient;
  /** How often `start()` polls the input container. Default 1000 ms. */
  pollIntervalMs?: number;
  /** Whether `start()` polls the input container (false: events come from `publish()`). */
  watch?: boolean;
  /**
   * Events delivered at the same time. Default `config.resources.concurrency` for an
   * in-process handler, no limit for a transport (Event Grid's own rule).
   */
  concurrency?: number;
  /** Delivery attempts and back-off. Default 5 attempts, 1 s doubling to 30 s. */
  retry?: Partial<RetryPolicy>;
  /** The delivery schedule, in place of `retry` (Event Grid's: `eventGridSchedule()`). */
  schedule?: RetrySchedule;
  /** How long a delivery may go unanswered before it counts as failed. Default: forever. */
  responseWindowMs?: number;
  /** How long an event may wait for delivery before it is dead-lettered. Default: forever. */
  timeToLiveMs?: number;
  /** Called when a delivery is answered after its window (its retry was queued already). */
  onLateAnswer?: (answer: LateAnswer) => void;
  /** Called when an event is done (delivered, or dead-lettered). */
  onResult?: (result: DeliveryResult) => void;
  /** Called after each failed delivery that will be retried. */
  onRetry?: (info: RetryNotice) => void;
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
  /** Polls the input container (unless built with `watch: false`) until `stop()`. */
  start(): void;
  /** Queues an event raised by another source (or posted to the local topic) for delivery. */
  publish(change: DeliverableChange): void;
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

/** Builds the local pipeline; nothing runs until `scan()` or `start()`. */
export function createLocalPipeline(options: LocalPipelineOptions): LocalPipeline {
  const { config, serviceClient } = options;
  const deadLetters = new DeadLetterWriter({
    store: blobDeadLetterStore(serviceClient.getContainerClient(config.containers.deadletter)),
    schedule: exponentialBackoff(options.deadLetterRetry),
    onWritten: options.onResult,
    onPending: options.onDeadLetterPending,
  });
  const { handler } = options;
  const inProcess = handler !== undefined;
  const deliverer = new Deliverer({
    transport: inProcess
      ? inProcessTransport({ handler, logHandler: options.logHandler })
      : options.transport,
    schedule: options.schedule ?? exponentialBackoff(options.retry),
    concurrency: options.concurrency ?? (inProcess ? config.resources.concurrency : undefined),
    responseWindowMs: options.responseWindowMs,
    timeToLiveMs: options.timeToLiveMs,
    onDelivered: options.onResult,
    onRetry: options.onRetry,
    onLateAnswer: options.onLateAnswer,
    onExhausted: (delivery, error, signal) => deadLetters.write(delivery, error, signal),
  });
  const watcher = new BlobWatcher({
    list: listBlobs(serviceClient.getContainerClient(config.containers.input)),
    topic: localTopic(serviceClient.accountName || 'devstoreaccount1'),
    onChange: (change) => deliverer.enqueue(change),
  });

  let scanning: Promise<number> | undefined;
  // One scan at a time, so a slow listing never raises the same change twice.
  const scan = (): Promise<number> =>
    (scanning ??= deadLetters
      .flush()
      .then(() => watcher.scan())
      .finally(() => {
        scanning = undefined;
      }));
  const poller = new Poller(scan, options.pollIntervalMs ?? 1_000, (error) => {
    options.logHandler?.('warning', `Listing ${config.containers.input} failed:`, error);
  });

  return {
    get known() {
      return watcher.known;
    },
    pendingDeadLetters: () => deadLetters.pending(),
    start() {
      deliverer.start();
      if (options.watch ?? true) poller.start();
    },
    publish: (change) => deliverer.enqueue(change),
    async stop() {
      poller.stop();
      const stopping = deliverer.stop();
      await scanning?.catch(() => undefined);
      await stopping;
    },
    scan,
    idle: () => deliverer.idle(),
  };
}
