/**
 * `npm run load -- --images N [--instances K] [--json] …`: a burst of photo-like uploads
 * through the local runtime as strict as Azure, on Azurite (started here, in memory), and an
 * account of every one of them.
 *
 * Everything is the real thing: the uploads go to storage through the recording proxy, which
 * raises BlobCreated for each commit as Azure does; Event Grid's delivery (response window,
 * retry schedule, dead-lettering, no cap on deliveries in flight) posts each event to one of K
 * instances, child processes that each run a Functions host with its own app (handler, image
 * runner, memory budget from `IMG_INSTANCE_MEMORY_MB`), spread round robin as a front end
 * would. The proxy also counts what storage accepted: result writes (a result written twice is
 * a duplicate) and input downloads (a version downloaded twice was processed twice).
 *
 * Reports uploaded, completed, failed (by code), dead-lettered, lost (must be 0), duplicates
 * (must be 0), images per second, latency from upload to metadata (p50/p95/p99), peak RSS of
 * this process, and, per the delivery: instances, their memory and highest peak RSS,
 * deliveries, those answered after the window (and where their time went: the host's queue or
 * the function), those refused fast (a 5xx or 429 in time), and redundant runs.
 */
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import {
  allContainers,
  environment,
  loadConfig,
  resultContainers,
  type Config,
} from '../config.js';
import { unquoteETag } from '../events.js';
import { azuriteConnectionString, startAzurite } from './azurite.js';
import type { DeliveryTransport } from './deliverer.js';
import { accountUploads, countDuplicates } from './load/account.js';
import { ensureBases, loadImage, MIXES, type LoadMix } from './load/images.js';
import { parseOptions, USAGE, type LoadOptions } from './load/options.js';
import { startInstances, type Instances } from './load/instances.js';
import { LoadProgress } from './load/progress.js';
import { startFaultProxy, type FaultProxy } from './load/proxy.js';
import { DeliveryCounts, RunCounter, type LateAnswers } from './load/counts.js';
import { percentile, round } from './load/stats.js';
import { createLocalPipeline, type LocalPipeline } from './pipeline.js';
import { EVENT_TIME_TO_LIVE_MS, eventGridSchedule, sleep } from './retry.js';
import { blobPropertiesReader, StorageEventSource } from './storage-events.js';
import { roundRobin, webhookTransport } from './webhook.js';

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
  /** This process's peak RSS (proxy, Event Grid, accounting; not the instances). */
  peakRssMb: number;
  instances: number;
  instanceMemoryMb: number;
  /** The highest peak RSS of any instance (whole process, worker threads included). */
  peakInstanceRssMb: number;
  /** Delivery attempts posted to the instances. */
  deliveries: number;
  /** Deliveries answered after the response window (their retry was already queued). */
  deliveriesTimedOut: number;
  /**
   * Deliveries refused fast: an answer within the window that is neither a success nor final
   * (a 5xx, the host's 429, or a failed connection), to be retried.
   */
  shed: number;
  /** The late answers' times, and where their time went (host queue against function). */
  late: LateAnswers;
  /** Runs of a name and eTag beyond the first: input downloads storage served again. */
  redundantRuns: number;
}

/** Storage for a load run: in-memory Azurite behind the recording proxy. */
interface LoadStorage {
  proxy: FaultProxy;
  /** The settings the instances run with: storage through the proxy. */
  env: Record<string, string>;
  config: Config;
  /** Through the proxy: the tool's uploads, which raise events as any client's do. */
  proxied: BlobServiceClient;
  /** Straight to Azurite, for the tool's own reads (not counted, no events). */
  direct: BlobServiceClient;
}

/** The instances' settings and the containers, created. */
async function prepareStorage(
  azuriteConnection: string,
  proxy: FaultProxy,
  options: LoadOptions,
): Promise<LoadStorage> {
  const env = {
    IMAGES_STORAGE: azuriteConnectionString(proxy.port),
    IMG_RESPONSE_WINDOW_MS: String(options.delivery.responseWindowS * 1000),
    IMG_INSTANCE_MEMORY_MB: String(options.instanceMemoryMb),
  };
  const config = loadConfig(environment(env));
  const direct = BlobServiceClient.fromConnectionString(azuriteConnection);
  for (const name of allContainers(config)) {
    await direct.getContainerClient(name).createIfNotExists();
  }
  const proxied = BlobServiceClient.fromConnectionString(env.IMAGES_STORAGE);
  return { proxy, env, config, proxied, direct };
}

/** Event Grid over the instances: deliveries counted, dead-letters counted as progress. */
function startDelivery(
  storage: LoadStorage,
  instances: Instances,
  options: LoadOptions,
  progress: LoadProgress,
  counts: DeliveryCounts,
): LocalPipeline {
  const { config, direct } = storage;
  const transport = webhookTransport({
    endpoint: roundRobin(instances.all.map((instance) => instance.webhookUrl)),
    onAnswer: (answer) => counts.answered(answer),
  });
  const counted: DeliveryTransport = (event, attempt) => {
    counts.sent();
    return transport(event, attempt);
  };
  const { scheduleScale, maxAttempts } = options.delivery;
  return createLocalPipeline({
    config,
    serviceClient: direct,
    transport: counted,
    schedule: eventGridSchedule({ scale: scheduleScale, maxAttempts }),
    responseWindowMs: counts.windowMs,
    timeToLiveMs: EVENT_TIME_TO_LIVE_MS * scheduleScale,
    watch: false,
    onResult: (result) => {
      if (result.deadLettered !== undefined) progress.deadLetter(result.name);
    },
  });
}

/** Uploads `count` variants of the mix's bases, eight at a time, through the proxy. */
async function uploadBurst(
  input: ContainerClient,
  count: number,
  bases: Map<string, Uint8Array>,
  mix: LoadMix,
  progress: LoadProgress,
): Promise<void> {
  const runId = Date.now().toString(36);
  let next = 0;
  const uploader = async (): Promise<void> => {
    for (let index = next++; index < count; index = next++) {
      const image = loadImage(index, runId, bases, mix);
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
  describe: () => string,
  log: (line: string) => void,
): Promise<void> {
  let lastLogged = 0;
  while (progress.accounted() < progress.uploads.size && progress.sinceProgressMs() < stallMs) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    if (performance.now() - lastLogged <= 5_000) continue;
    lastLogged = performance.now();
    log(`${progress.accounted()}/${progress.uploads.size} accounted for; ${describe()}`);
  }
}

/** Runs the load and returns the report; `log` gets progress lines. */
export async function runLoad(
  options: LoadOptions,
  log: (line: string) => void,
): Promise<LoadReport> {
  const mix = MIXES[options.mix];
  // First: on a fresh clone this encodes the base images, which must not count as load time.
  const bases = ensureBases(mix);
  const azurite = await startAzurite({ inMemory: true });
  const proxy = await startFaultProxy(azurite.port);
  try {
    const storage = await prepareStorage(azurite.connectionString, proxy, options);
    const counts = new DeliveryCounts(options.delivery.responseWindowS * 1000);
    const instances = await startInstances({
      count: options.instances,
      env: environment(storage.env),
      concurrency: options.concurrency,
      inline: options.inline,
      log,
      onInvocation: (timing) => counts.invoked(timing),
    });
    try {
      return await measureBurst(storage, instances, bases, options, counts, log);
    } finally {
      await instances.stop();
    }
  } finally {
    await proxy.close();
    await azurite.stop();
  }
}

/** Uploads the burst, waits until it is accounted for, and reports. */
async function measureBurst(
  storage: LoadStorage,
  instances: Instances,
  bases: Map<string, Uint8Array>,
  options: LoadOptions,
  counts: DeliveryCounts,
  log: (line: string) => void,
): Promise<LoadReport> {
  const { config, direct, proxied, proxy } = storage;
  const { containers } = config;
  const progress = new LoadProgress();
  const runs = new RunCounter(containers.input);
  const unobserve = [
    proxy.observe((request, answer) => {
      if (request.operation !== 'upload' || request.container !== containers.metadata) return;
      if (answer.status < 300) progress.metadataWritten(request.blob ?? '');
    }),
    proxy.observe(runs.observer),
  ];
  const pipeline = startDelivery(storage, instances, options, progress, counts);
  const events = new StorageEventSource({
    inputContainer: containers.input,
    endpoint: `http://127.0.0.1:${proxy.port}`,
    properties: blobPropertiesReader(direct),
    onEvent: (change) => pipeline.publish(change),
  });
  unobserve.push(proxy.observe(events.observer));
  events.start();

  const started = performance.now();
  const mix = MIXES[options.mix];
  const input = proxied.getContainerClient(containers.input);
  await uploadBurst(input, options.images, bases, mix, progress);
  log(
    `uploaded ${progress.uploads.size} images in ${round((performance.now() - started) / 1000)} s`,
  );
  const describe = (): string => `${counts.describe()}; ${describeInstances(instances)}`;
  await waitUntilAccounted(progress, options.stallMs, describe, log);
  const seconds = (performance.now() - started) / 1000;
  events.stop();
  await events.settled();
  // Retries still queued run (a redelivery of finished work is what redundantRuns counts),
  // but a stalled run does not wait for hours of Event Grid's schedule.
  const drained = new AbortController();
  await Promise.race([pipeline.idle(), sleep(options.stallMs, drained.signal)]);
  drained.abort();
  await pipeline.stop();
  for (const stop of unobserve) stop();
  await instances.stop();
  return report(storage, progress, counts, runs, instances, options, seconds);
}

function describeInstances(instances: Instances): string {
  return instances.all
    .map(
      (i) =>
        `instance ${i.index} peak ${Math.round(i.peakRssKb / 1024)} MB${i.crashed ? ' (crashed)' : ''}`,
    )
    .join(', ');
}

/** The account of the run, read from storage and the counters. */
async function report(
  storage: LoadStorage,
  progress: LoadProgress,
  counts: DeliveryCounts,
  runs: RunCounter,
  instances: Instances,
  options: LoadOptions,
  seconds: number,
): Promise<LoadReport> {
  const { containers } = storage.config;
  const account = await accountUploads(
    storage.direct.getContainerClient(containers.metadata),
    progress.uploads,
    progress.deadLettered,
  );
  const results = resultContainers(storage.config);
  const latencies = progress.latencies();
  const peakInstanceKb = Math.max(0, ...instances.all.map((instance) => instance.peakRssKb));
  return {
    uploaded: progress.uploads.size,
    ...account,
    duplicates: countDuplicates(storage.proxy.writes, results),
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
    instances: options.instances,
    instanceMemoryMb: options.instanceMemoryMb,
    peakInstanceRssMb: Math.round(peakInstanceKb / 1024),
    deliveries: counts.deliveries,
    deliveriesTimedOut: counts.timedOut,
    shed: counts.shed,
    late: counts.late(),
    redundantRuns: runs.redundant(),
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
    ['redundant runs', String(report.redundantRuns)],
    ['images/s', String(report.imagesPerSecond)],
    [
      'latency (upload → metadata)',
      `p50 ${report.latencyMs.p50} ms, p95 ${report.latencyMs.p95} ms, p99 ${report.latencyMs.p99} ms`,
    ],
    [
      'deliveries',
      `${report.deliveries} (${report.deliveriesTimedOut} answered after the window, ${report.shed} refused fast)`,
    ],
    ['late answers', describeLate(report.late)],
    [
      'instances',
      `${report.instances} × ${report.instanceMemoryMb} MB, highest peak RSS ${report.peakInstanceRssMb} MB`,
    ],
    ['peak RSS (this process)', `${report.peakRssMb} MB`],
    ['load average (1 min)', `${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [key, value] of rows) console.log(`${key.padEnd(width)}  ${value}`);
}

function describeLate(late: LateAnswers): string {
  const ms = ({ p50, p95, max }: LateAnswers['answerMs']): string =>
    `p50 ${p50} ms, p95 ${p95} ms, max ${max} ms`;
  return (
    `${ms(late.answerMs)}; over the window in the host: ${late.overWindowInHost}, ` +
    `waiting for a slot ${ms(late.hostQueueMs)}, in the function ${ms(late.functionMs)}`
  );
}

/** Whether the run kept every promise the report can check. */
function clean(report: LoadReport): boolean {
  return report.lost === 0 && report.duplicates === 0;
}

async function main(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  if (options === undefined) {
    console.log(USAGE);
    return 0;
  }
  const log = options.json ? () => undefined : (line: string) => console.error(line);
  const result = await runLoad(options, log);
  if (options.json) console.log(JSON.stringify(result));
  else printTable(result);
  return clean(result) ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
