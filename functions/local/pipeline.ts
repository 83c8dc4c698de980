/**
 * The local stand-in for Event Grid, composed of parts with one job each: the watcher lists
 * the input container and raises BlobCreated/BlobDeleted for what changed, the deliverer
 * takes each event to the same handler the Functions host calls (retrying with back-off),
 * and the dead-letter writer records the events that ran out of attempts (kept in memory and
 * written again at each scan while storage is down: an event is never dropped).
 */
import type { LogHandler } from '@azure/functions';
import type { BlobServiceClient } from '@azure/storage-blob';
import type { Config } from '../config.js';
import type { EventHandler } from '../process-blob.js';
import { blobDeadLetterStore, DeadLetterWriter } from './dead-letter.js';
import { Deliverer, type DeliveryResult, type RetryNotice } from './deliverer.js';
import { localTopic } from './events.js';
import { Poller } from './poller.js';
import { exponentialBackoff, type RetryPolicy } from './retry.js';
import { inProcessTransport } from './transport.js';
import { BlobWatcher, listBlobs } from './watcher.js';

export type { DeliveryResult } from './deliverer.js';
export type { RetryPolicy } from './retry.js';

/** Options of `createLocalPipeline`. */
export interface LocalPipelineOptions {
  config: Config;
  serviceClient: BlobServiceClient;
  /** The handler events go to: the app's (`createApp(config).processImage`), or a test's. */
  handler: EventHandler;
  /** How often `start()` polls the input container. Default 1000 ms. */
  pollIntervalMs?: number;
  /** Events delivered at the same time. Default `config.resources.concurrency`. */
  concurrency?: number;
  /** Delivery attempts and back-off. Default 5 attempts, 1 s doubling to 30 s. */
  retry?: Partial<RetryPolicy>;
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

/** Builds the local pipeline; nothing runs until `scan()` or `start()`. */
export function createLocalPipeline(options: LocalPipelineOptions): LocalPipeline {
  const { config, serviceClient } = options;
  const { handler } = options;
  const deadLetters = new DeadLetterWriter({
    store: blobDeadLetterStore(serviceClient.getContainerClient(config.containers.deadletter)),
    schedule: exponentialBackoff(options.deadLetterRetry),
    onWritten: options.onResult,
    onPending: options.onDeadLetterPending,
  });
  const deliverer = new Deliverer({
    transport: inProcessTransport({ handler, logHandler: options.logHandler }),
    schedule: exponentialBackoff(options.retry),
    concurrency: options.concurrency ?? config.resources.concurrency,
    onDelivered: options.onResult,
    onRetry: options.onRetry,
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
      poller.start();
    },
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
