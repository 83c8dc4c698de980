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
import { parseArgs } from 'node:util';
import { BlobServiceClient } from '@azure/storage-blob';
import { metadataName } from '../../lib/naming.js';
import { loadConfig } from '../config.js';
import { unquoteETag } from '../events.js';
import { closeSharedImageRunner, sharedImageRunner } from '../limits/index.js';
import { createBlobServiceClient } from '../storage.js';
import { azuriteConnectionString, startAzurite } from './azurite.js';
import { ensureBases, loadImage } from './load/images.js';
import { startFaultProxy } from './load/proxy.js';
import { percentile, round } from './load/stats.js';
import { createLocalPipeline } from './pipeline.js';

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
  const { values } = parseArgs({
    args: argv,
    options: {
      images: { type: 'string', default: '100' },
      concurrency: { type: 'string', default: '16' },
      'stall-s': { type: 'string', default: '180' },
      json: { type: 'boolean', default: false },
      inline: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) return undefined;
  const positive = (name: string, raw: string): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`Expected a positive integer for --${name} but received ${raw}`);
    }
    return value;
  };
  return {
    images: positive('images', values.images),
    concurrency: positive('concurrency', values.concurrency),
    stallMs: positive('stall-s', values['stall-s']) * 1000,
    json: values.json,
    inline: values.inline,
  };
}

/** Runs the load and returns the report; `log` gets progress lines. */
export async function runLoad(options: Options, log: (line: string) => void): Promise<LoadReport> {
  const bases = ensureBases();
  const runId = Date.now().toString(36);
  const azurite = await startAzurite({ inMemory: true });
  const proxy = await startFaultProxy(azurite.port);
  try {
    const config = loadConfig({
      ...process.env,
      IMAGES_STORAGE: azuriteConnectionString(proxy.port),
    });
    const { containers } = config;
    const direct = BlobServiceClient.fromConnectionString(azurite.connectionString);
    for (const name of Object.values(containers)) {
      await direct.getContainerClient(name).createIfNotExists();
    }
    const runner = sharedImageRunner({
      ...config.resources,
      isolation: options.inline ? 'inline' : 'worker',
    });

    const uploadedAt = new Map<string, number>();
    const uploadedETag = new Map<string, string>();
    const metadataAt = new Map<string, number>();
    const deadLettered = new Set<string>();
    let lastProgress = performance.now();
    const metadataNames = new Map<string, string>();
    proxy.onResponse = (request, status) => {
      if (request.operation !== 'upload' || request.container !== containers.metadata) return;
      const source = metadataNames.get(request.blob ?? '');
      if (source !== undefined && status < 300 && !metadataAt.has(source)) {
        metadataAt.set(source, performance.now());
        lastProgress = performance.now();
      }
    };

    const pipeline = createLocalPipeline({
      config,
      serviceClient: createBlobServiceClient(config.storage),
      concurrency: options.concurrency,
      pollIntervalMs: 250,
      retry: { maxAttempts: 5, initialDelayMs: 500, maxDelayMs: 5_000 },
      onResult: (result) => {
        log(`${result.name} ${JSON.stringify(result.outcome).slice(0, 400)}`);
        if (result.deadLettered !== undefined) {
          deadLettered.add(result.name);
          lastProgress = performance.now();
        }
      },
    });
    pipeline.start();

    const input = direct.getContainerClient(containers.input);
    const started = performance.now();
    let next = 0;
    const uploader = async (): Promise<void> => {
      for (let index = next++; index < options.images; index = next++) {
        const image = loadImage(index, runId, bases);
        metadataNames.set(metadataName(image.name), image.name);
        const response = await input.getBlockBlobClient(image.name).uploadData(image.bytes, {
          blobHTTPHeaders: { blobContentType: image.contentType },
        });
        uploadedAt.set(image.name, performance.now());
        uploadedETag.set(image.name, unquoteETag(response.etag ?? ''));
      }
    };
    await Promise.all(Array.from({ length: 8 }, uploader));
    log(`uploaded ${uploadedAt.size} images in ${round((performance.now() - started) / 1000)} s`);

    const accounted = (): number =>
      [...uploadedAt.keys()].filter((name) => metadataAt.has(name) || deadLettered.has(name))
        .length;
    let lastLogged = 0;
    while (accounted() < uploadedAt.size && performance.now() - lastProgress < options.stallMs) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      if (performance.now() - lastLogged > 5_000) {
        lastLogged = performance.now();
        const state = runner.state();
        log(
          `${accounted()}/${uploadedAt.size} accounted for; images in flight ${state.active}, ` +
            `waiting ${state.queued}, rss ${Math.round(process.memoryUsage().rss / 1048576)} MB`,
        );
      }
    }
    const finished = performance.now();
    await pipeline.idle();
    await pipeline.stop();

    // The account: each upload's metadata must be for the version uploaded.
    const metadata = direct.getContainerClient(containers.metadata);
    const failedByCode: Record<string, number> = {};
    let completed = 0;
    let failed = 0;
    let lost = 0;
    let dead = 0;
    for (const [name, eTag] of uploadedETag) {
      let record:
        { status: string; source: { eTag?: string }; error?: { code: string } } | undefined;
      try {
        const body = await metadata.getBlobClient(metadataName(name)).downloadToBuffer();
        record = JSON.parse(body.toString('utf8')) as typeof record;
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode !== 404) throw error;
      }
      if (record !== undefined && unquoteETag(record.source.eTag ?? '') === eTag) {
        if (record.status === 'succeeded') completed += 1;
        else {
          failed += 1;
          const code = record.error?.code ?? 'UNKNOWN';
          failedByCode[code] = (failedByCode[code] ?? 0) + 1;
        }
      } else if (deadLettered.has(name)) dead += 1;
      else lost += 1;
    }
    const resultContainers = [containers.output, containers.thumbnails, containers.metadata];
    let duplicates = 0;
    for (const [key, count] of proxy.writes) {
      if (resultContainers.includes(key.slice(0, key.indexOf('/')))) duplicates += count - 1;
    }
    const latencies = [...metadataAt].map(([name, at]) => at - uploadedAt.get(name)!);
    return {
      uploaded: uploadedAt.size,
      completed,
      failed,
      failedByCode,
      deadLettered: dead,
      lost,
      duplicates,
      imagesPerSecond: round((completed + failed + dead) / ((finished - started) / 1000), 2),
      latencyMs: {
        p50: Math.round(percentile(latencies, 50)),
        p95: Math.round(percentile(latencies, 95)),
        p99: Math.round(percentile(latencies, 99)),
      },
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    };
  } finally {
    await closeSharedImageRunner();
    await proxy.close();
    await azurite.stop();
  }
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
