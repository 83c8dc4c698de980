/**
 * The composition root: builds the app's parts from its validated settings, once per process.
 * The Functions entry point (`index.ts`) and the local runtime both start here, so the handler
 * the host calls and the one `npm start` calls are wired the same way.
 */
import type { HttpHandler } from '@azure/functions';
import type { BlobServiceClient } from '@azure/storage-blob';
import { storageAccountOf } from './account.js';
import type { CompletionPublisher } from './completion-events.js';
import type { Config } from './config.js';
import { createCompletionPublisher } from './event-publishers.js';
import { createHealthHandler, healthProbe } from './health.js';
import { BlobInputs } from './input-blobs.js';
import { ImageRunner, type Isolation } from './limits/index.js';
import { NameLocks } from './limits/name-locks.js';
import { SeenOnce } from './limits/seen-once.js';
import { RunsInFlight } from './limits/runs-in-flight.js';
import type { Outcome } from './outcome.js';
import {
  createEventHandler,
  logUnwatchedRunFailure,
  type EventHandler,
  type HandlerDeps,
} from './process-blob.js';
import { BlobRunClaims } from './run-claims.js';
import { BlobResultStore } from './result-store.js';
import { createBlobServiceClient } from './storage.js';
import { openTelemetryRecorder } from './telemetry/recorder.js';

/** The running app: its two functions and a way to stop its workers. */
export interface App {
  readonly config: Config;
  /** The Event Grid function `processImage`. */
  readonly processImage: EventHandler;
  /** The HTTP function `health`. */
  readonly health: HttpHandler;
  /** Stops the image workers (the local runtime and tests call it before exiting). */
  close(): Promise<void>;
}

/** Parts an app can be given instead of building them (the local runtime, tests). */
export interface AppOptions {
  serviceClient?: BlobServiceClient;
  runner?: ImageRunner;
  isolation?: Isolation;
  /** Where completion events go instead of the configured topic (the local runtime's printer). */
  events?: CompletionPublisher;
}

/** Builds the app from `config`: storage client, image runner, handler and health probe. */
export function createApp(config: Config, options: AppOptions = {}): App {
  const serviceClient = options.serviceClient ?? createBlobServiceClient(config.storage);
  const runner =
    options.runner ??
    new ImageRunner({
      ...config.resources,
      responseWindowMs: config.delivery.responseWindowMs,
      isolation: options.isolation,
    });
  const processImage = createEventHandler(
    handlerDeps(config, serviceClient, runner, options.events),
  );
  return {
    config,
    processImage,
    health: createHealthHandler(healthProbe(config)),
    close: () => runner.close(),
  };
}

/** The handler's ports over one storage account and one image runner. */
export function handlerDeps(
  config: Config,
  serviceClient: BlobServiceClient,
  runner: HandlerDeps['runner'],
  events: CompletionPublisher = createCompletionPublisher(config.events),
): HandlerDeps {
  return {
    config,
    account: storageAccountOf(config.storage),
    inputs: new BlobInputs(serviceClient.getContainerClient(config.containers.input), {
      totalMs: config.delivery.downloadTimeoutMs,
      idleMs: config.delivery.downloadIdleMs,
    }),
    results: new BlobResultStore(serviceClient, {
      metadata: config.containers.metadata,
      renditions: config.image.renditions.map((rendition) => rendition.container),
    }),
    runner,
    clock: performance,
    telemetry: openTelemetryRecorder(),
    timeouts: new SeenOnce(),
    locks: new NameLocks(),
    runs: new RunsInFlight<Outcome>(config.delivery.maxQueuedRuns, logUnwatchedRunFailure),
    claims: new BlobRunClaims(serviceClient.getContainerClient(config.containers.claims)),
    events,
  };
}
