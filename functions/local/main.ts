/**
 * `npm start`: the whole pipeline on this machine, as strict as Azure. Starts Azurite behind a
 * recording proxy on the port users talk to (unless a storage connection string is
 * configured), creates the containers, uploads sample images on the first run, serves the
 * Functions host's webhook on http://127.0.0.1:7071 and delivers to it the events Azure would
 * raise, with Event Grid's response window, retry schedule and dead-lettering. `--once`
 * processes what is there and exits.
 */
// First: telemetry from the same settings as the function app (see README, Observability).
import '../telemetry/register.js';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { createApp } from '../app.js';
import {
  allContainers,
  environment,
  loadConfig,
  resultContainers,
  type Config,
  type StorageConfig,
} from '../config.js';
import type { CompletionPublisher } from '../completion-events.js';
import { PrintingPublisher, WebhookPublisher } from '../event-publishers.js';
import { telemetryLogHandler } from '../telemetry/logs.js';
import { createBlobServiceClient } from '../storage.js';
import { shutdownTelemetry, telemetryMode } from '../telemetry/setup.js';
import {
  DELIVERY_FLAGS,
  deliveryFlags,
  integerFlag,
  parseFlags,
  type DeliveryFlags,
} from './args.js';
import { azuriteConnectionString, startAzurite, type RunningAzurite } from './azurite.js';
import { describeError } from './deliverer.js';
import type { InvocationReport } from './host.js';
import { galleryRoutes } from './gallery/routes.js';
import { startFaultProxy, type FaultProxy } from './load/proxy.js';
import { startLocalRuntime, type DeliveryRules, type LocalRuntime } from './runtime.js';
import { uploadSamples } from './samples.js';
import { blobPropertiesReader } from './storage-events.js';
import { describeDelivery, formatResult, printReport, subjectName } from './report.js';
import { verifyResults, type ResultsReport } from './verify.js';

const USAGE = `Usage: npm start -- [options]

  --port <n>       the blob port clients use (default 10000; 0 picks a free one): the
                   recording proxy in front of Azurite, which raises the storage events
  --http-port <n>  the Functions host: webhook and /api/health (default 7071; with --once 0)
  --in-memory      keep Azurite's data in memory only (default: .azurite/)
  --no-samples     do not upload the sample images on the first run
  --no-watch       raise no events: only events posted to the webhook or /api/events act
  --once           process what is in 'input', then exit (0: every blob has results or a
                   failure record; 1: something was dead-lettered or left unprocessed, or
                   its dead-letter record could not be written)
  --delivery-timeout-s <n>    Event Grid's response window (default IMG_RESPONSE_WINDOW_MS, 30 s)
  --retry-schedule-scale <x>  multiplies Event Grid's retry waits (default 1; with --once 0.001)
  --max-attempts <n>          deliveries before an event is dead-lettered (default 10)
  --poll-ms <n>    how often to list 'input' when the listing watcher raises events (default 1000)
  --events-webhook <url>  deliver the completion events (ImageProcessed, ImageFailed,
                   ResultsDeleted) to this webhook, as an Event Grid subscription would
                   (CloudEvents, one per request, retried); without it (and without
                   IMG_EVENTS_TOPIC_ENDPOINT) they are printed
  --help

With IMAGES_STORAGE (or AzureWebJobsStorage) set to a connection string, that storage is
used, no Azurite is started, and a listing watcher raises the events (for any eTag change,
metadata and property changes too, unlike Azure).`;

interface Options {
  port: number;
  httpPort: number;
  inMemory: boolean;
  samples: boolean;
  watch: boolean;
  once: boolean;
  pollMs: number;
  delivery: DeliveryFlags;
  /** `--events-webhook`: where completion events go. */
  eventsWebhook: string | undefined;
}

function parseOptions(argv: string[]): Options | undefined {
  const values = parseFlags(argv, {
    port: { type: 'string', default: '10000' },
    'http-port': { type: 'string' },
    'in-memory': { type: 'boolean', default: false },
    'no-samples': { type: 'boolean', default: false },
    'no-watch': { type: 'boolean', default: false },
    once: { type: 'boolean', default: false },
    'poll-ms': { type: 'string', default: '1000' },
    'events-webhook': { type: 'string' },
    ...DELIVERY_FLAGS,
  });
  if (values === undefined) return undefined;
  const portRule = { expected: 'a port number', min: 0, max: 65535 };
  const once = values.once;
  if (once && values['no-watch']) {
    throw new Error(
      '--once processes what is in input through the events it raises: not with --no-watch',
    );
  }
  return {
    port: integerFlag('port', values.port, portRule),
    // --once needs no fixed webhook port: nobody else posts to it.
    httpPort: integerFlag('http-port', values['http-port'] ?? (once ? '0' : '7071'), portRule),
    inMemory: values['in-memory'],
    samples: !values['no-samples'],
    watch: !values['no-watch'],
    once,
    pollMs: integerFlag('poll-ms', values['poll-ms'], {
      expected: 'milliseconds (>= 50)',
      min: 50,
    }),
    delivery: deliveryFlags(values),
    eventsWebhook: webhookFlag(values['events-webhook']),
  };
}

function webhookFlag(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const protocol = URL.canParse(raw) ? new URL(raw).protocol : undefined;
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new Error(`Expected an http:// or https:// URL for --events-webhook but received ${raw}`);
  }
  return raw;
}

/**
 * Where completion events go here: the `--events-webhook`, else the configured topic, else
 * printed, one JSON line each.
 */
function localEvents(config: Config, options: Options): CompletionPublisher | undefined {
  if (options.eventsWebhook !== undefined) return new WebhookPublisher(options.eventsWebhook);
  if (config.events.topicEndpoint !== undefined) return undefined;
  return new PrintingPublisher((line) => console.log(`event ${line}`));
}

/** Settings whose storage is a connection string (Azurite, or one configured). */
type LocalConfig = Config & { storage: Extract<StorageConfig, { kind: 'connectionString' }> };

/** Azurite and the recording proxy in front of it, when this run started them. */
interface EmbeddedStorage {
  azurite: RunningAzurite;
  proxy: FaultProxy;
  stop(): Promise<void>;
}

/** Whether telemetry runs (read now: shutting it down resets the mode). */
const telemetryStarted = telemetryMode() !== 'none';

/**
 * Azurite on a free internal port and the recording proxy on `--port` in front of it, unless
 * a storage connection string is configured (then undefined).
 */
async function startEmbeddedStorage(options: Options): Promise<EmbeddedStorage | undefined> {
  const env = environment();
  const configured = env.IMAGES_STORAGE ?? env.AzureWebJobsStorage;
  if (configured !== undefined && configured.trim() !== '') return undefined;
  const location = path.resolve('.azurite');
  if (!options.inMemory) await mkdir(location, { recursive: true });
  const azurite = await startAzurite({ inMemory: options.inMemory, location });
  let proxy: FaultProxy;
  try {
    proxy = await startFaultProxy(azurite.port, { port: options.port });
  } catch (error) {
    await azurite.stop();
    throw error;
  }
  console.log(
    `Azurite blob service on http://127.0.0.1:${proxy.port} (${options.inMemory ? 'in memory' : `data in ${location}`}; ` +
      `Azurite itself on port ${azurite.port}, behind a proxy that raises events as Azure does: ` +
      `BlobCreated for PutBlob, PutBlockList and CopyBlob, BlobDeleted for DeleteBlob, nothing for metadata or property changes)`,
  );
  return {
    azurite,
    proxy,
    async stop() {
      await proxy.close();
      await azurite.stop();
    },
  };
}

/** The function app's settings, which must name storage by a connection string here. */
function loadLocalConfig(storage: EmbeddedStorage | undefined, options: Options): LocalConfig {
  const overrides: Record<string, string> = {};
  // The app's settings, with the proxy in front of the Azurite just started as its storage.
  if (storage !== undefined) overrides.IMAGES_STORAGE = azuriteConnectionString(storage.proxy.port);
  const windowS = options.delivery.responseWindowS;
  if (windowS !== undefined) overrides.IMG_RESPONSE_WINDOW_MS = String(windowS * 1000);
  const config = loadConfig(environment(overrides));
  if (config.storage.kind !== 'connectionString') {
    throw new Error(
      'npm start needs a storage connection string (IMAGES_STORAGE) or none at all (Azurite)',
    );
  }
  return { ...config, storage: config.storage };
}

/** Creates the containers; on the first run (no `input` yet) uploads the samples too. */
async function prepareContainers(
  serviceClient: BlobServiceClient,
  config: Config,
  samples: boolean,
): Promise<void> {
  const { containers } = config;
  let created = false;
  for (const name of allContainers(config)) {
    const response = await serviceClient.getContainerClient(name).createIfNotExists();
    if (name === containers.input) created = response.succeeded;
  }
  if (!created || !samples) return;
  const count = await uploadSamples(serviceClient.getContainerClient(containers.input));
  console.log(
    `Uploaded ${count} sample images to ${containers.input}/samples/ (2 of them broken on purpose).`,
  );
}

/** Event Grid's rules as the flags and settings set them. */
function deliveryRules(config: Config, options: Options): DeliveryRules {
  return {
    responseWindowMs: config.delivery.responseWindowMs,
    scheduleScale: options.delivery.scheduleScale ?? (options.once ? 0.001 : 1),
    maxAttempts: options.delivery.maxAttempts,
  };
}

/** The runtime, printing one line per invocation and per dead-letter, retry and late answer. */
async function startPrintingRuntime(
  config: LocalConfig,
  serviceClient: BlobServiceClient,
  storage: EmbeddedStorage | undefined,
  options: Options,
): Promise<LocalRuntime> {
  // Dead-letters are exported too (as error logs), so the queries in docs/queries.kql see them.
  const telemetryLog = telemetryLogHandler();
  const app = createApp(config, { serviceClient, events: localEvents(config, options) });
  const direct =
    storage && BlobServiceClient.fromConnectionString(storage.azurite.connectionString);
  const runtime = await startLocalRuntime({
    config,
    serviceClient,
    app,
    httpPort: options.httpPort,
    recorder: storage &&
      direct && { proxy: storage.proxy, properties: blobPropertiesReader(direct) },
    pollMs: options.pollMs,
    routes: galleryRoutes(config, serviceClient),
    delivery: deliveryRules(config, options),
    deadLetterRetry: options.once ? { initialDelayMs: 200, maxDelayMs: 2_000 } : {},
    onInvocation: (report: InvocationReport) => {
      if (report.outcome === undefined) return;
      const name = report.outcome.name ?? subjectName(report.event);
      console.log(formatResult({ name, attempts: report.attempt, outcome: report.outcome }));
    },
    onResult: (result) => {
      if (result.deadLettered === undefined) return;
      console.log(formatResult(result));
      telemetryLog('error', formatResult(result));
    },
    onDeadLetterPending: (result) => {
      const line = `✗ ${result.name}  undeliverable after ${result.attempts} attempts, kept in memory (retried at each scan): ${result.error ?? ''}`;
      console.log(line);
      telemetryLog('error', line);
    },
    onRetry: ({ name, attempt, delayMs, error }) =>
      console.log(
        `↻ ${name}  attempt ${attempt} failed (${describeError(error)}); retrying in ${delayMs} ms`,
      ),
    onLateAnswer: ({ name, attempt }) =>
      console.log(`… ${name}  attempt ${attempt} answered after the response window`),
    // context.log goes to telemetry (when on, correlated with the image's span); errors print.
    logHandler: telemetryLogHandler((level, ...args) => {
      if (level === 'error') console.error(...args);
    }),
  });
  const stop = runtime.stop;
  return {
    ...runtime,
    stop: async () => {
      await stop();
      await app.close();
    },
  };
}

/**
 * `--once`: processes what is in `input` (one event per blob, from a listing), prints the
 * account of it, and says by its exit code whether everything has results or a failure record.
 */
async function runOnce(
  runtime: LocalRuntime,
  serviceClient: BlobServiceClient,
  config: LocalConfig,
  shutdown: () => Promise<void>,
): Promise<number> {
  await runtime.pipeline.scan();
  await runtime.idle();
  // Dead-letter records still unwritten (storage down): they would be lost with the process.
  const unwritten = runtime.pipeline.pendingDeadLetters();
  let report: ResultsReport | undefined;
  try {
    report = await verifyResults(serviceClient, config);
  } catch (error) {
    if (unwritten.length === 0) throw error;
    console.log(`Could not list the results: ${describeError(error)}`);
  }
  await shutdown();
  if (report !== undefined) printReport(report);
  if (unwritten.length > 0) {
    console.log(`${unwritten.length} not dead-lettered: the record could not be written.`);
  }
  for (const result of unwritten) {
    console.log(`  not dead-lettered: ${result.name}: ${result.error ?? ''}`);
  }
  const clean = report !== undefined && report.deadLettered === 0 && report.missing.length === 0;
  return clean && unwritten.length === 0 ? 0 : 1;
}

/** Raises and delivers events until SIGINT or SIGTERM; exits 1 if a dead-letter record is lost. */
async function watchUntilSignal(
  runtime: LocalRuntime,
  config: LocalConfig,
  options: Options,
  shutdown: () => Promise<void>,
): Promise<number> {
  const { containers, storage } = config;
  const source = !options.watch
    ? 'no events are raised (--no-watch): only events posted to the webhook act'
    : runtime.events !== undefined
      ? 'events raised from the writes storage accepts'
      : `a listing every ${options.pollMs} ms raises BlobCreated for any eTag change (metadata and property changes too, unlike Azure)`;
  console.log(`Watching ${containers.input}: ${source}. Drop images in with, for example:
  az storage blob upload --connection-string "${storage.connectionString}" --container-name ${containers.input} --name photo.jpg --file ./photo.jpg
Results appear in ${resultContainers(config).join('/, ')}/. Ctrl+C to stop.`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log('Stopping…');
  await shutdown();
  const unwritten = runtime.pipeline.pendingDeadLetters();
  for (const result of unwritten) {
    console.log(`  not dead-lettered (lost with this process): ${result.name}`);
  }
  return unwritten.length === 0 ? 0 : 1;
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options === undefined) {
    console.log(USAGE);
    return 0;
  }
  const storage = await startEmbeddedStorage(options);
  let runtime: LocalRuntime | undefined;
  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> =>
    (stopping ??= (async () => {
      await runtime?.stop();
      await storage?.stop();
      await shutdownTelemetry();
    })());
  try {
    const config = loadLocalConfig(storage, options);
    // The function's own client and retry policy (the SDK's default waits 4 s, 8 s, 16 s).
    const serviceClient = createBlobServiceClient(config.storage);
    runtime = await startPrintingRuntime(config, serviceClient, storage, options);
    console.log(
      `Functions host on ${runtime.host.url}: POST ${runtime.host.webhookUrl()}, GET ${runtime.host.url}/api/health, backfill topic POST ${runtime.host.url}/api/events`,
    );
    console.log(`Gallery: open ${runtime.host.url}/ (results, uploads, details).`);
    const rules = deliveryRules(config, options);
    console.log(`Event Grid delivery: ${describeDelivery(rules, config.containers.deadletter)}.`);
    // Watching: the event source is on before the samples go in, so they raise their events.
    if (!options.once && options.watch) runtime.startEvents();
    await prepareContainers(serviceClient, config, options.samples);
    return options.once
      ? await runOnce(runtime, serviceClient, config, shutdown)
      : await watchUntilSignal(runtime, config, options, shutdown);
  } catch (error) {
    await shutdown();
    throw error;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
    // The Azure Monitor exporter keeps a timer alive after shutdown: exit deliberately.
    if (telemetryStarted) process.exit(code);
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 2;
  },
);
