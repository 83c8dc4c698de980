/**
 * `npm start`: the whole pipeline on this machine. Starts Azurite (unless a storage
 * connection string is configured), creates the containers, uploads sample images on the
 * first run, then watches `input` and processes every new or changed blob with the same
 * handler the Functions host calls. `--once` processes what is there and exits.
 */
// First: telemetry from the same settings as the function app (see README, Observability).
import '../telemetry/register.js';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { BlobServiceClient } from '@azure/storage-blob';
import { createApp } from '../app.js';
import {
  environment,
  loadConfig,
  type Config,
  type ContainerNames,
  type StorageConfig,
} from '../config.js';
import type { EventHandler } from '../process-blob.js';
import type { Outcome } from '../process-blob.js';
import { telemetryLogHandler } from '../telemetry/logs.js';
import { createBlobServiceClient } from '../storage.js';
import { shutdownTelemetry, telemetryMode } from '../telemetry/setup.js';
import { startAzurite, type RunningAzurite } from './azurite.js';
import { integerFlag, parseFlags } from './args.js';
import { describeError } from './deliverer.js';
import { createLocalPipeline, type DeliveryResult, type LocalPipeline } from './pipeline.js';
import { uploadSamples } from './samples.js';
import { verifyResults, type ResultsReport } from './verify.js';

const USAGE = `Usage: npm start -- [options]

  --port <n>       Azurite's blob port (default 10000)
  --in-memory      keep Azurite's data in memory only (default: .azurite/)
  --no-samples     do not upload the sample images on the first run
  --once           process what is in 'input', then exit (0: every blob has results or a
                   failure record; 1: something was dead-lettered or left unprocessed, or
                   its dead-letter record could not be written)
  --poll-ms <n>    how often to look for new blobs (default 1000)
  --help

With IMAGES_STORAGE (or AzureWebJobsStorage) set to a connection string, that storage is
used and no Azurite is started.`;

interface Options {
  port: number;
  inMemory: boolean;
  samples: boolean;
  once: boolean;
  pollMs: number;
}

function parseOptions(argv: string[]): Options | undefined {
  const values = parseFlags(argv, {
    port: { type: 'string', default: '10000' },
    'in-memory': { type: 'boolean', default: false },
    'no-samples': { type: 'boolean', default: false },
    once: { type: 'boolean', default: false },
    'poll-ms': { type: 'string', default: '1000' },
  });
  if (values === undefined) return undefined;
  return {
    port: integerFlag('port', values.port, { expected: 'a port number', min: 0, max: 65535 }),
    inMemory: values['in-memory'],
    samples: !values['no-samples'],
    once: values.once,
    pollMs: integerFlag('poll-ms', values['poll-ms'], {
      expected: 'milliseconds (>= 50)',
      min: 50,
    }),
  };
}

/** Settings whose storage is a connection string (Azurite, or one configured). */
type LocalConfig = Config & { storage: Extract<StorageConfig, { kind: 'connectionString' }> };

/** What the two ways of running share. */
interface Run {
  config: LocalConfig;
  serviceClient: BlobServiceClient;
  pipeline: LocalPipeline;
  /** Stops the pipeline, Azurite (when started here) and telemetry. */
  shutdown(): Promise<void>;
}

/** Whether telemetry runs (read now: shutting it down resets the mode). */
const telemetryStarted = telemetryMode() !== 'none';

function kb(bytes: number | undefined): string {
  return bytes === undefined ? '-' : `${(bytes / 1024).toFixed(1)} KB`;
}

/** One line per event: name, input size, output sizes, status, ms. */
export function formatResult(result: DeliveryResult): string {
  if (result.deadLettered !== undefined || result.outcome === undefined) {
    return `✗ ${result.name}  dead-lettered after ${result.attempts} attempts → ${result.deadLettered ?? '(not written)'}: ${result.error ?? ''}`;
  }
  const outcome: Outcome = result.outcome;
  const retries = result.attempts > 1 ? `  (attempt ${result.attempts})` : '';
  switch (outcome.status) {
    case 'succeeded':
      return `✓ ${outcome.name}  ${kb(outcome.inputBytes)} → output ${kb(outcome.output.bytes)}, thumbnail ${kb(outcome.thumbnail.bytes)}  succeeded  ${outcome.ms} ms${retries}`;
    case 'failed':
      return `✗ ${outcome.name ?? result.name}  ${kb(outcome.inputBytes)}  failed ${outcome.errorCode}: ${outcome.message}  ${outcome.ms} ms${retries}`;
    case 'skipped':
      return `· ${outcome.name ?? result.name}  skipped (${outcome.reason})  ${outcome.ms} ms`;
    case 'deleted':
      return `− ${outcome.name}  deleted from input; removed ${outcome.removed.length} result(s)  ${outcome.ms} ms`;
  }
}

/** Local storage for the run: none when a connection string is configured, else Azurite. */
async function startLocalStorage(options: Options): Promise<RunningAzurite | undefined> {
  const env = environment();
  const configured = env.IMAGES_STORAGE ?? env.AzureWebJobsStorage;
  if (configured !== undefined && configured.trim() !== '') return undefined;
  const location = path.resolve('.azurite');
  if (!options.inMemory) await mkdir(location, { recursive: true });
  const azurite = await startAzurite({ port: options.port, inMemory: options.inMemory, location });
  console.log(
    `Azurite blob service on http://127.0.0.1:${azurite.port} (${options.inMemory ? 'in memory' : `data in ${location}`})`,
  );
  return azurite;
}

/** The function app's settings, which must name storage by a connection string here. */
async function loadLocalConfig(azurite: RunningAzurite | undefined): Promise<LocalConfig> {
  let config: Config;
  try {
    // The app's settings, with the Azurite just started as its storage.
    config = loadConfig(
      environment(azurite === undefined ? {} : { IMAGES_STORAGE: azurite.connectionString }),
    );
  } catch (error) {
    await azurite?.stop();
    throw error;
  }
  if (config.storage.kind !== 'connectionString') {
    await azurite?.stop();
    throw new Error(
      'npm start needs a storage connection string (IMAGES_STORAGE) or none at all (Azurite)',
    );
  }
  return { ...config, storage: config.storage };
}

/** Creates the containers; on the first run (no `input` yet) uploads the samples too. */
async function prepareContainers(
  serviceClient: BlobServiceClient,
  containers: ContainerNames,
  samples: boolean,
): Promise<void> {
  let created = false;
  for (const name of Object.values(containers)) {
    const response = await serviceClient.getContainerClient(name).createIfNotExists();
    if (name === containers.input) created = response.succeeded;
  }
  if (!created || !samples) return;
  const count = await uploadSamples(serviceClient.getContainerClient(containers.input));
  console.log(
    `Uploaded ${count} sample images to ${containers.input}/samples/ (2 of them broken on purpose).`,
  );
}

/** The pipeline, printing one line per event; `--once` retries faster so the run ends sooner. */
function createPrintingPipeline(
  config: Config,
  serviceClient: BlobServiceClient,
  handler: EventHandler,
  options: Options,
): LocalPipeline {
  // Dead-letters are exported too (as error logs), so the queries in docs/queries.kql see them.
  const telemetryLog = telemetryLogHandler();
  const fast = options.once ? { initialDelayMs: 200, maxDelayMs: 2_000 } : {};
  return createLocalPipeline({
    config,
    serviceClient,
    handler,
    pollIntervalMs: options.pollMs,
    retry: fast,
    deadLetterRetry: fast,
    onResult: (result) => {
      console.log(formatResult(result));
      if (result.deadLettered !== undefined) telemetryLog('error', formatResult(result));
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
    // context.log goes to telemetry (when on, correlated with the image's span); errors print.
    logHandler: telemetryLogHandler((level, ...args) => {
      if (level === 'error') console.error(...args);
    }),
  });
}

/**
 * `--once`: processes what is in `input`, prints the account of it, and says by its exit code
 * whether everything has results or a failure record.
 */
async function runOnce(run: Run): Promise<number> {
  const { pipeline, serviceClient, config } = run;
  await pipeline.scan();
  await pipeline.idle();
  // Dead-letter records still unwritten (storage down): they would be lost with the process.
  const unwritten = pipeline.pendingDeadLetters();
  let report: ResultsReport | undefined;
  try {
    report = await verifyResults(serviceClient, config);
  } catch (error) {
    if (unwritten.length === 0) throw error;
    console.log(`Could not list the results: ${describeError(error)}`);
  }
  await run.shutdown();
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

function printReport(report: ResultsReport): void {
  console.log(
    `${report.complete} with results, ${report.failed} with a failure record, ${report.deadLettered} dead-lettered, ${report.missing.length} unprocessed.`,
  );
  for (const name of report.missing) console.log(`  unprocessed: ${name}`);
}

/** Watches `input` until SIGINT or SIGTERM; exits 1 if a dead-letter record is lost. */
async function watchUntilSignal(run: Run, pollMs: number): Promise<number> {
  const { containers, storage } = run.config;
  console.log(`Watching ${containers.input} every ${pollMs} ms. Drop images in with, for example:
  az storage blob upload --connection-string "${storage.connectionString}" --container-name ${containers.input} --name photo.jpg --file ./photo.jpg
Results appear in ${containers.output}/, ${containers.thumbnails}/ and ${containers.metadata}/. Ctrl+C to stop.`);
  run.pipeline.start();
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log('Stopping…');
  await run.shutdown();
  const unwritten = run.pipeline.pendingDeadLetters();
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
  const azurite = await startLocalStorage(options);
  const config = await loadLocalConfig(azurite);
  // The function's own client and retry policy (the SDK's default waits 4 s, 8 s, 16 s).
  const serviceClient = createBlobServiceClient(config.storage);
  await prepareContainers(serviceClient, config.containers, options.samples);
  // The app built the way the host builds it, over the same client.
  const app = createApp(config, { serviceClient });
  const pipeline = createPrintingPipeline(config, serviceClient, app.processImage, options);
  const shutdown = async (): Promise<void> => {
    await pipeline.stop();
    await app.close();
    await azurite?.stop();
    await shutdownTelemetry();
  };
  const run: Run = { config, serviceClient, pipeline, shutdown };
  return options.once ? runOnce(run) : watchUntilSignal(run, options.pollMs);
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
