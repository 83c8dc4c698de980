/**
 * The local runtime assembled: a Functions host serving the app's webhook, Event Grid's
 * delivery (response window, retry schedule, dead-lettering) posting to it, and an event
 * source: the recording proxy in front of Azurite (events from the writes storage accepts,
 * as Azure raises them), or, for other storage, the listing watcher. `npm start` runs it;
 * tests build it in their own process.
 */
import type { LogHandler } from '@azure/functions';
import type { BlobServiceClient } from '@azure/storage-blob';
import type { Config } from '../config.js';
import type { LateAnswer, RetryNotice } from './deliverer.js';
import {
  startFunctionsHost,
  type FunctionsHost,
  type FunctionsHostOptions,
  type HostedApp,
  type InvocationReport,
} from './host.js';
import type { FaultProxy } from './load/proxy.js';
import { createLocalPipeline, type DeliveryResult, type LocalPipeline } from './pipeline.js';
import { EVENT_TIME_TO_LIVE_MS, eventGridSchedule, type RetryPolicy } from './retry.js';
import { StorageEventSource, type PropertiesReader } from './storage-events.js';
import { topicRoute } from './topic-endpoint.js';
import { roundRobin, webhookTransport } from './webhook.js';

/** Event Grid's delivery rules, some compressed for tests. */
export interface DeliveryRules {
  /** The response window (Event Grid: 30 s). */
  responseWindowMs: number;
  /** Multiplies the retry waits and the event time to live (1: Event Grid's own). */
  scheduleScale: number;
  /** Attempts before dead-lettering (the subscription's `maxDeliveryAttempts`). */
  maxAttempts: number;
}

/** The recording proxy users talk to, and how to read a version's properties behind it. */
export interface EventRecorder {
  proxy: Pick<FaultProxy, 'observe' | 'port'>;
  properties: PropertiesReader;
}

/** Options of `startLocalRuntime`. */
export interface LocalRuntimeOptions {
  /** The app's settings; storage is the proxy's endpoint when `recorder` is given. */
  config: Config;
  serviceClient: BlobServiceClient;
  app: HostedApp;
  /** The host's port on 127.0.0.1 (0: a free one). */
  httpPort: number;
  /** Raise events from the proxy's traffic; without it, the listing watcher raises them. */
  recorder?: EventRecorder;
  /** How often the watcher lists `input` (no recorder). */
  pollMs: number;
  delivery: DeliveryRules;
  /** Back-off of dead-letter writes. */
  deadLetterRetry?: Partial<RetryPolicy>;
  /** More routes on the host (the gallery). */
  routes?: FunctionsHostOptions['routes'];
  /** Called when an invocation of the function ends in the host. */
  onInvocation?: (report: InvocationReport) => void;
  /** Called when an event is dead-lettered (or delivered, with no outcome over HTTP). */
  onResult?: (result: DeliveryResult) => void;
  onRetry?: (notice: RetryNotice) => void;
  onLateAnswer?: (answer: LateAnswer) => void;
  onDeadLetterPending?: (result: DeliveryResult) => void;
  /** Where the function's `context.log` goes, and listing failures. */
  logHandler?: LogHandler;
}

/** A running local runtime. */
export interface LocalRuntime {
  readonly host: FunctionsHost;
  readonly pipeline: LocalPipeline;
  /** The recorder's event source; undefined when the watcher raises events. */
  readonly events: StorageEventSource | undefined;
  /** Turns the event source on: commits raise events (or the watcher polls). */
  startEvents(): void;
  /** Resolves when every event raised so far is delivered or dead-lettered and every invocation ended. */
  idle(): Promise<void>;
  /** Stops the event source and deliveries, then the host (after its invocations end). */
  stop(): Promise<void>;
}

/** Starts the host and the delivery; events flow once `startEvents()` is called. */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const { config, delivery, recorder } = options;
  const backfillTopic = topicRoute({
    inputContainer: config.containers.input,
    // Built below; a publish in the instant before is answered 500, and the publisher retries.
    publish: (change) => pipeline.publish(change),
  });
  const host = await startFunctionsHost({
    app: options.app,
    port: options.httpPort,
    logHandler: options.logHandler,
    onInvocation: options.onInvocation,
    // The backfill topic first (POST /api/events), then the caller's routes (the gallery).
    routes: async (req, url, res) =>
      (await backfillTopic(req, url, res)) || ((await options.routes?.(req, url, res)) ?? false),
  });
  const pipeline = createLocalPipeline({
    config,
    serviceClient: options.serviceClient,
    transport: webhookTransport({ endpoint: roundRobin([host.webhookUrl()]) }),
    schedule: eventGridSchedule({
      scale: delivery.scheduleScale,
      maxAttempts: delivery.maxAttempts,
    }),
    responseWindowMs: delivery.responseWindowMs,
    timeToLiveMs: EVENT_TIME_TO_LIVE_MS * delivery.scheduleScale,
    watch: recorder === undefined,
    pollIntervalMs: options.pollMs,
    deadLetterRetry: options.deadLetterRetry,
    onResult: options.onResult,
    onRetry: options.onRetry,
    onLateAnswer: options.onLateAnswer,
    onDeadLetterPending: options.onDeadLetterPending,
    logHandler: options.logHandler,
  });
  const events =
    recorder === undefined
      ? undefined
      : new StorageEventSource({
          inputContainer: config.containers.input,
          endpoint: `http://127.0.0.1:${recorder.proxy.port}`,
          properties: recorder.properties,
          onEvent: (change) => pipeline.publish(change),
        });
  const unobserve = events === undefined ? undefined : recorder?.proxy.observe(events.observer);
  return {
    host,
    pipeline,
    events,
    startEvents() {
      events?.start();
      pipeline.start();
    },
    async idle() {
      await events?.settled();
      await pipeline.idle();
      await host.idle();
    },
    async stop() {
      events?.stop();
      unobserve?.();
      await pipeline.stop();
      await host.close();
    },
  };
}
