/**
 * `npm run load -- --images N --concurrency C [--json]`: a burst of photo-like uploads through
 * the local pipeline on Azurite (started here, in memory), and an account of every one of them.
 *
 * The pipeline is the real one: the watcher and deliverer that stand in for Event Grid, the
 * handler, the image runner with its limits. `--concurrency` is how many events are delivered
 * at once (what the Functions host would run side by side); images are processed within
 * IMG_CONCURRENCY and IMG_MEMORY_BUDGET_MB, as in Azure. Storage sits behind a loopback proxy
 * that counts the writes storage accepted, so a result written twice shows as a duplicate.
 *
 * Reports uploaded, completed, failed (by code), dead-lettered, lost (must be 0), duplicates
 * (must be 0), images per second, latency from upload to metadata (p50/p95/p99), peak RSS of
 * this process (handler, deliverer and worker threads; Azurite runs in its own process).
 */
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { createApp } from '../app.js';
import { environment, loadConfig, type Config } from '../config.js';
import { unquoteETag } from '../events.js';
import { ImageRunner } from '../limits/index.js';
import { createBlobServiceClient } from '../storage.js';
import { integerFlag, parseFlags, POSITIVE_INTEGER } from './args.js';
import { azuriteConnectionString, startAzurite, type RunningAzurite } from './azurite.js';
import { accountUploads, countDuplicates } from './load/account.js';
import { ensureBases, loadImage } from './load/images.js';
import { LoadProgress } from './load/progress.js';
import { startFaultProxy, type FaultProxy } from './load/proxy.js';
import { percentile, round } from './load/stats.js';
import { createLocalPipeline, type LocalPipeline } from './pipeline.js';

const USAGE = `Usage: npm run load -- [options]

  --images <n>        images to upload in one burst (default 100)
  --concurrency <n>   events delivered at once (default 16); images are processed within
                      IMG_CONCURRENCY and IMG_MEMORY_BUDGET_MB
  --inline            process images on the main thread instead of worker threads (no
                      time limit; to measure what the worker pool costs)
  --stall-s <n>       give up when nothing has finished for this long (default 180)
  --json              print one JSON object on stdout, nothing else
  --help`;

/** The report, as printed with `--json`. */
export interface LoadReport {
  uploaded: number;
  completed: number;
  failed: number;
  failedByCode: Record<string, number>;
  deadLettered: number;
  lost: number;
  duplicates: number;
  imagesPerSecond: number;
  latencyMs: { p50: number; p95: number; p99: number };
  peakRssMb: number;
}

interface Options {
  images: number;
  concurrency: number;
  stallMs: number;
  json: boolean;
  inline: boolean;
}

function parseOptions(argv: string[]): Options | undefined {
  const values = parseFlags(argv, {
    images: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '16' },
    'stall-s': { type: 'string', default: '180' },
    json: { type: 'boolean', default: false },
    inline: { type: 'boolean', default: false },
  });
  if (values === undefined) return undefined;
  return {
    images: integerFlag('images', values.images, POSITIVE_INTEGER),
    concurrency: integerFlag('concurrency', values.concurrency, POSITIVE_INTEGER),
    stallMs: integerFlag('stall-s', values['stall-s'], POSITIVE_INTEGER) * 1000,
    json: values.json,
    inline: values.inline,
  };
}

/** Storage for a load run: in-memory Azurite behind the fault proxy, which counts writes. */
interface LoadStorage {
  proxy: FaultProxy;
  /** The settings the pipeline runs with: storage through the proxy. */
  config: Config;
  /** Straight to Azurite, for the tool's own uploads and reads (not counted). */
  direct: BlobServiceClient;
}

/** Settings through the proxy, and the containers created. */
async function prepareStorage(
  azurite: RunningAzurite,
  proxy: FaultProxy,
): Promise<Omit<LoadStorage, 'proxy'>> {
  const config = loadConfig(environment({ IMAGES_STORAGE: azuriteConnectionString(proxy.port) }));
  const direct = BlobServiceClient.fromConnectionString(azurite.connectionString);
  for (const name of Object.values(config.containers)) {
    await direct.getContainerClient(name).createIfNotExists();
  }
  return { config, direct };
}

/** The real pipeline, delivering `concurrency` events at once; dead-letters count as progress. */
function startLoadPipeline(
  config: Config,
  runner: ImageRunner,
  concurrency: number,
  progress: LoadProgress,
  log: (line: string) => void,
): LocalPipeline {
  const serviceClient = createBlobServiceClient(config.storage);
  const pipeline = createLocalPipeline({
    config,
    serviceClient,
    handler: createApp(config, { serviceClient, runner }).processImage,
    concurrency,
    pollIntervalMs: 250,
    retry: { maxAttempts: 5, initialDelayMs: 500, maxDelayMs: 5_000 },
    onResult: (result) => {
      log(`${result.name} ${JSON.stringify(result.outcome).slice(0, 400)}`);
      if (result.deadLettered !== undefined) progress.deadLetter(result.name);
    },
  });
  pipeline.start();
  return pipeline;
}

/** Uploads `count` variants of `bases`, eight at a time, straight to Azurite. */
async function uploadBurst(
  input: ContainerClient,
  count: number,
  bases: Map<string, Uint8Array>,
  progress: LoadProgress,
): Promise<void> {
  const runId = Date.now().toString(36);
  let next = 0;
  const uploader = async (): Promise<void> => {
    for (let index = next++; index < count; index = next++) {
      const image = loadImage(index, runId, bases);
      progress.expect(image.name);
      const response = await input.getBlockBlobClient(image.name).uploadData(image.bytes, {
        blobHTTPHeaders: { blobContentType: image.contentType },
      });
      progress.uploaded(image.name, unquoteETag(response.etag ?? ''));
    }
  };
  await Promise.all(Array.from({ length: 8 }, uploader));
}

/** Waits until every upload is accounted for, or nothing has progressed for `stallMs`. */
async function waitUntilAccounted(
  progress: LoadProgress,
  stallMs: number,
  runner: ImageRunner,
  log: (line: string) => void,
): Promise<void> {
  let lastLogged = 0;
  while (progress.accounted() < progress.uploads.size && progress.sinceProgressMs() < stallMs) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    if (performance.now() - lastLogged <= 5_000) continue;
    lastLogged = performance.now();
    const state = runner.state();
    log(
      `${progress.accounted()}/${progress.uploads.size} accounted for; images in flight ${state.active}, ` +
        `waiting ${state.queued}, rss ${Math.round(process.memoryUsage().rss / 1048576)} MB`,
    );
  }
}

/** Runs the load and returns the report; `log` gets progress lines. */
export async function runLoad(options: Options, log: (line: string) => void): Promise<LoadReport> {
  // First: on a fresh clone this encodes the base images, which must not count as load time.
  const bases = ensureBases();
  const azurite = await startAzurite({ inMemory: true });
  const proxy = await startFaultProxy(azurite.port);
  try {
    const storage = { proxy, ...(await prepareStorage(azurite, proxy)) };
    return await measureBurst(storage, bases, options, log);
  } finally {
    await proxy.close();
    await azurite.stop();
  }
}

/** Uploads the burst through the pipeline on `storage`, waits for it, and accounts for it. */
async function measureBurst(
  storage: LoadStorage,
  bases: Map<string, Uint8Array>,
  options: Options,
  log: (line: string) => void,
): Promise<LoadReport> {
  const { config } = storage;
  const runner = new ImageRunner({
    ...config.resources,
    isolation: options.inline ? 'inline' : 'worker',
  });
  try {
    return await measureWith(runner, storage, bases, options, log);
  } finally {
    await runner.close();
  }
}

/** The burst through the pipeline with `runner`. */
async function measureWith(
  runner: ImageRunner,
  storage: LoadStorage,
  bases: Map<string, Uint8Array>,
  options: Options,
  log: (line: string) => void,
): Promise<LoadReport> {
  const { config, direct, proxy } = storage;
  const { containers } = config;
  const progress = new LoadProgress();
  proxy.onResponse = (request, status) => {
    if (request.operation !== 'upload' || request.container !== containers.metadata) return;
    if (status < 300) progress.metadataWritten(request.blob ?? '');
  };
  const pipeline = startLoadPipeline(config, runner, options.concurrency, progress, log);
  const started = performance.now();
  await uploadBurst(direct.getContainerClient(containers.input), options.images, bases, progress);
  log(
    `uploaded ${progress.uploads.size} images in ${round((performance.now() - started) / 1000)} s`,
  );
  await waitUntilAccounted(progress, options.stallMs, runner, log);
  const seconds = (performance.now() - started) / 1000;
  await pipeline.idle();
  await pipeline.stop();

  const account = await accountUploads(
    direct.getContainerClient(containers.metadata),
    progress.uploads,
    progress.deadLettered,
  );
  const results = [containers.output, containers.thumbnails, containers.metadata];
  const latencies = progress.latencies();
  return {
    uploaded: progress.uploads.size,
    ...account,
    duplicates: countDuplicates(proxy.writes, results),
    imagesPerSecond: round(
      (account.completed + account.failed + account.deadLettered) / seconds,
      2,
    ),
    latencyMs: {
      p50: Math.round(percentile(latencies, 50)),
      p95: Math.round(percentile(latencies, 95)),
      p99: Math.round(percentile(latencies, 99)),
    },
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

function printTable(report: LoadReport): void {
  const rows: [string, string][] = [
    ['uploaded', String(report.uploaded)],
    ['completed', String(report.completed)],
    ['failed', `${report.failed} ${JSON.stringify(report.failedByCode)}`.replace(/ \{\}$/, '')],
    ['dead-lettered', String(report.deadLettered)],
    ['lost', String(report.lost)],
    ['duplicates', String(report.duplicates)],
    ['images/s', String(report.imagesPerSecond)],
    [
      'latency (upload → metadata)',
      `p50 ${report.latencyMs.p50} ms, p95 ${report.latencyMs.p95} ms, p99 ${report.latencyMs.p99} ms`,
    ],
    ['peak RSS', `${report.peakRssMb} MB`],
    ['load average (1 min)', `${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [key, value] of rows) console.log(`${key.padEnd(width)}  ${value}`);
}

async function main(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  if (options === undefined) {
    console.log(USAGE);
    return 0;
  }
  const log = options.json ? () => undefined : (line: string) => console.error(line);
  const report = await runLoad(options, log);
  if (options.json) console.log(JSON.stringify(report));
  else printTable(report);
  return report.lost === 0 && report.duplicates === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
