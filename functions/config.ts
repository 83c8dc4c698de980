/**
 * The one settings module: every environment variable that the function app, the local
 * runtime and the tools read is read and validated here, once, with one rule set and one
 * message shape (`ConfigError`). Nothing else under `functions/` touches `process.env`.
 * Every setting, its default and its meaning is listed in docs/configuration.md.
 */
import { InvalidOptionError } from '../lib/errors.js';
import {
  CROP_POSITIONS,
  DEFAULT_OPTIONS,
  DEFAULT_RENDITIONS,
  parseRenditions,
  refuseReservedContainers,
  type CropPosition,
  type Fit,
  type ProcessOptions,
  type RenditionSpec,
} from '../lib/options.js';
import { isLoopback } from './account.js';
import { ConfigError } from './errors.js';
import { SettingReader, type Env } from './setting-reader.js';
import { telemetrySettings } from './telemetry/settings.js';
import { imageMemoryMb, MIN_IMAGE_MEMORY_MB } from './limits/memory.js';
import { storageConfig } from './storage-settings.js';
import type { StorageConfig } from './storage.js';
import type { TelemetrySettings } from './telemetry/settings.js';

export type { StorageConfig } from './storage.js';
export type { TelemetryExporter, TelemetrySettings } from './telemetry/settings.js';

export type { Env } from './setting-reader.js';

/** Names of the containers the pipeline reads and writes. */
export interface ContainerNames {
  input: string;
  /** The resized image's container when `IMG_RENDITIONS` does not list the renditions. */
  output: string;
  /** The thumbnail's container when `IMG_RENDITIONS` does not list the renditions. */
  thumbnails: string;
  metadata: string;
  deadletter: string;
  /** Where instances claim an input name while one of them processes it (`run-claims.ts`). */
  claims: string;
}

/** How results are stored. */
export interface ResultSettings {
  /** `IMG_CACHE_CONTROL`: the `Cache-Control` of every result (CDNs and browsers read it). */
  cacheControl: string;
}

/** Resource limits of one instance: how many images at once, in how much memory, for how long. */
export interface ResourceSettings {
  /** `IMG_CONCURRENCY`: images processed at the same time (default 2). */
  concurrency: number;
  /**
   * `IMG_INSTANCE_MEMORY_MB`: the memory of one instance (Flex Consumption's
   * `instanceMemoryMB`, default 2048), shared by the Functions host, this process and its
   * image threads. Running out of it ends every invocation in flight.
   */
  instanceMemoryMb: number;
  /**
   * `IMG_MEMORY_BUDGET_MB`: what the images in flight and the downloads waiting for them may
   * take together (estimated). Default: the instance memory less `reservedMemoryMb`.
   */
  memoryBudgetMb: number;
  /** `IMG_TIMEOUT_MS`: per-image processing limit (default 120000). */
  timeoutMs: number;
}

/** The resource defaults: two images on a 2 GB instance, two minutes per image. */
export const DEFAULT_RESOURCE_SETTINGS: Readonly<ResourceSettings> = Object.freeze({
  concurrency: 2,
  instanceMemoryMb: 2048,
  memoryBudgetMb: imageMemoryMb(2048, 2),
  timeoutMs: 120_000,
});

/** How the app answers Event Grid, whose delivery waits a fixed time for the answer. */
export interface DeliverySettings {
  /**
   * `IMG_RESPONSE_WINDOW_MS`: how long Event Grid waits for the answer to one delivery (30 s
   * in Azure; the local runtime's `--delivery-timeout-s`). A delivery whose image cannot end in
   * time is answered with a retryable refusal while the image stays queued here.
   */
  responseWindowMs: number;
  /**
   * `IMG_MAX_QUEUED_RUNS`: images an instance keeps queued or in progress (each costs only its
   * event until its turn); beyond it, deliveries are refused and queue nothing.
   */
  maxQueuedRuns: number;
  /** `IMG_DOWNLOAD_TIMEOUT_MS`: the longest an input download may take in all. */
  downloadTimeoutMs: number;
  /** `IMG_DOWNLOAD_IDLE_MS`: the longest an input download may go without a byte. */
  downloadIdleMs: number;
}

/** Options the function passes to the imaging core (all but the per-image name and type). */
export type ImageSettings = Omit<ProcessOptions, 'name' | 'declaredContentType'>;

/** Where completion events go. */
export interface EventSettings {
  /**
   * `IMG_EVENTS_TOPIC_ENDPOINT`: the Event Grid custom topic's endpoint (https), or a webhook on
   * this machine (http allowed for loopback only); absent: no events.
   */
  topicEndpoint: string | undefined;
  /** The managed identity that publishes: the storage identity's client id, when set. */
  clientId?: string;
}

/** Everything the function app needs, validated. */
export interface Config {
  storage: StorageConfig;
  containers: ContainerNames;
  /** Options passed to the imaging core; defaults are the core's `DEFAULT_OPTIONS`. */
  image: ImageSettings;
  results: ResultSettings;
  resources: ResourceSettings;
  delivery: DeliverySettings;
  telemetry: TelemetrySettings;
  events: EventSettings;
}

/** The containers results go to: each rendition's, then the metadata container. */
export function resultContainers(config: Pick<Config, 'containers' | 'image'>): string[] {
  return [...config.image.renditions.map((r) => r.container), config.containers.metadata];
}

/** Every container the pipeline uses: input, results, dead-letter (each once). */
export function allContainers(config: Pick<Config, 'containers' | 'image'>): string[] {
  const { input, deadletter, claims } = config.containers;
  return [...new Set([input, ...resultContainers(config), deadletter, claims])];
}

/**
 * The process's environment with `overrides` on top: the one place that reads `process.env`
 * (the local runtime overrides the storage connection with the Azurite it started).
 */
export function environment(overrides: Env = {}): Env {
  return { ...process.env, ...overrides };
}

/**
 * Reads and validates every setting from `env`. Throws a `ConfigError` naming the first bad
 * setting, so a misconfigured app fails when it loads with a message an operator can act on.
 */
export function loadConfig(env: Env = environment()): Config {
  const read = new SettingReader(env);
  const containers = containerNames(read);
  const storage = storageConfig(read);
  return {
    storage,
    containers,
    image: imageSettings(read, containers),
    results: { cacheControl: cacheControl(read) },
    resources: resourceSettings(read),
    delivery: deliverySettings(read),
    telemetry: telemetrySettings(read),
    events: eventSettings(read, storage),
  };
}

function eventSettings(read: SettingReader, storage: StorageConfig): EventSettings {
  const clientId = storage.kind === 'identity' ? storage.clientId : undefined;
  return {
    topicEndpoint: topicEndpoint(read, 'IMG_EVENTS_TOPIC_ENDPOINT'),
    ...(clientId === undefined ? {} : { clientId }),
  };
}

/**
 * An Event Grid topic endpoint: an https URL, or http on this machine only (the local runtime's
 * webhook): events carry result URLs, and a token is never sent in clear.
 */
export function topicEndpoint(read: SettingReader, setting: string): string | undefined {
  const value = read.optional(setting);
  if (value === undefined) return undefined;
  const expected = 'an https:// URL (http:// only for localhost or 127.0.0.1)';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(setting, expected, value);
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url.hostname))) {
    return value;
  }
  throw new ConfigError(setting, expected, value);
}

/**
 * `IMG_BACKFILL_TOPIC_ENDPOINT`: where `serverless-img backfill` publishes when no
 * `--topic-endpoint` is given (the deployment's BACKFILL_TOPIC_ENDPOINT output); validated as
 * `topicEndpoint`. Read by the CLI, not by the function app.
 */
export function backfillTopicEndpoint(env: Env = environment()): string | undefined {
  return topicEndpoint(new SettingReader(env), 'IMG_BACKFILL_TOPIC_ENDPOINT');
}

/** The telemetry settings alone: telemetry starts before the rest of the app is loaded. */
export function readTelemetrySettings(env: Env = environment()): TelemetrySettings {
  return telemetrySettings(new SettingReader(env));
}

const CONTAINER_SETTINGS: Readonly<Record<keyof ContainerNames, [setting: string, name: string]>> =
  {
    input: ['IMG_INPUT_CONTAINER', 'input'],
    output: ['IMG_OUTPUT_CONTAINER', 'output'],
    thumbnails: ['IMG_THUMBNAIL_CONTAINER', 'thumbnails'],
    metadata: ['IMG_METADATA_CONTAINER', 'metadata'],
    deadletter: ['IMG_DEADLETTER_CONTAINER', 'deadletter'],
    claims: ['IMG_CLAIMS_CONTAINER', 'claims'],
  };

function containerNames(read: SettingReader): ContainerNames {
  const containers = {} as ContainerNames;
  // A result container equal to the input would make every result trigger the pipeline again.
  const seen = new Map<string, string>();
  for (const key of Object.keys(CONTAINER_SETTINGS) as (keyof ContainerNames)[]) {
    const [setting, fallback] = CONTAINER_SETTINGS[key];
    const name = read.containerName(setting, fallback);
    const other = seen.get(name);
    if (other !== undefined) {
      throw new ConfigError(setting, `a container name different from ${other}`, name);
    }
    seen.set(name, setting);
    containers[key] = name;
  }
  return containers;
}

function imageSettings(read: SettingReader, containers: ContainerNames): ImageSettings {
  const core = DEFAULT_OPTIONS;
  const count = (name: string, fallback: number) =>
    read.integer(name, fallback, 1, Number.MAX_SAFE_INTEGER);
  return {
    renditions: renditions(read, containers),
    maxPixels: count('IMG_MAX_PIXELS', core.maxPixels),
    maxBytes: count('IMG_MAX_BYTES', core.maxBytes),
    maxFrames: count('IMG_MAX_FRAMES', core.maxFrames),
    includeGps: read.boolean('IMG_INCLUDE_GPS', core.includeGps),
    shrinkOnLoad: read.boolean('IMG_SHRINK_ON_LOAD', core.shrinkOnLoad),
    placeholder: read.boolean('IMG_PLACEHOLDER', core.placeholder),
    dominantColor: read.boolean('IMG_DOMINANT_COLOR', core.dominantColor),
    perceptualHash: read.boolean('IMG_PERCEPTUAL_HASH', core.perceptualHash),
  };
}

/**
 * The settings that shape the two default renditions: `IMG_RENDITIONS` replaces them, and
 * refuses to start beside them rather than ignore them. (`IMG_OUTPUT_CONTAINER` and
 * `IMG_THUMBNAIL_CONTAINER` only name the default renditions' containers.)
 */
const DEFAULT_RENDITION_SETTINGS = [
  'IMG_MAX_WIDTH',
  'IMG_MAX_HEIGHT',
  'IMG_THUMBNAIL_WIDTH',
  'IMG_THUMBNAIL_HEIGHT',
  'IMG_THUMBNAIL_FIT',
  'IMG_THUMBNAIL_POSITION',
  'IMG_QUALITY',
] as const;

/**
 * `IMG_RENDITIONS` (a JSON list, see `parseRenditions`), or the resized image and the thumbnail
 * shaped by the single settings. No rendition may write to the input, metadata or dead-letter
 * container: its results would trigger the pipeline again, or pass for another kind of blob.
 */
function renditions(read: SettingReader, containers: ContainerNames): RenditionSpec[] {
  const json = read.optional('IMG_RENDITIONS');
  const list = json === undefined ? defaultRenditions(read, containers) : listed(read, json);
  const reserved = {
    [containers.input]: 'IMG_INPUT_CONTAINER',
    [containers.metadata]: 'IMG_METADATA_CONTAINER',
    [containers.deadletter]: 'IMG_DEADLETTER_CONTAINER',
    [containers.claims]: 'IMG_CLAIMS_CONTAINER',
  };
  return asConfigError('IMG_RENDITIONS', () => {
    refuseReservedContainers(list, reserved, 'IMG_RENDITIONS');
    return list;
  });
}

function listed(read: SettingReader, json: string): RenditionSpec[] {
  const single = DEFAULT_RENDITION_SETTINGS.find((name) => read.optional(name) !== undefined);
  if (single !== undefined) {
    throw new ConfigError(
      single,
      `no value when IMG_RENDITIONS lists the renditions`,
      read.optional(single),
    );
  }
  return asConfigError('IMG_RENDITIONS', () => parseRenditions(json, 'IMG_RENDITIONS'));
}

function defaultRenditions(read: SettingReader, containers: ContainerNames): RenditionSpec[] {
  const [output, thumbnail] = DEFAULT_RENDITIONS as [RenditionSpec, RenditionSpec];
  const dimension = (name: string, fallback: number) => read.integer(name, fallback, 1, 16384);
  const quality = read.integer('IMG_QUALITY', output.quality, 1, 100);
  return [
    {
      ...output,
      container: containers.output,
      width: dimension('IMG_MAX_WIDTH', output.width),
      height: dimension('IMG_MAX_HEIGHT', output.height),
      quality,
    },
    {
      ...thumbnail,
      container: containers.thumbnails,
      width: dimension('IMG_THUMBNAIL_WIDTH', thumbnail.width),
      height: dimension('IMG_THUMBNAIL_HEIGHT', thumbnail.height),
      ...thumbnailFitAndPosition(read),
      quality,
    },
  ];
}

/** `IMG_THUMBNAIL_FIT`, and `IMG_THUMBNAIL_POSITION` where it crops (cover only). */
function thumbnailFitAndPosition(read: SettingReader): Pick<RenditionSpec, 'fit' | 'position'> {
  const fit = read.oneOf<Fit>('IMG_THUMBNAIL_FIT', 'cover', ['cover', 'contain']);
  const position = read.oneOf<CropPosition>('IMG_THUMBNAIL_POSITION', 'centre', CROP_POSITIONS);
  if (position !== 'centre' && fit !== 'cover') {
    throw new ConfigError(
      'IMG_THUMBNAIL_POSITION',
      `centre (IMG_THUMBNAIL_FIT is ${fit})`,
      position,
    );
  }
  return position === 'centre' ? { fit } : { fit, position };
}

/** The core's `InvalidOptionError` about a setting, as the one settings error. */
function asConfigError<T>(setting: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (!(error instanceof InvalidOptionError)) throw error;
    throw new ConfigError(setting, 'a valid list of renditions', undefined, error.message);
  }
}

/** A header value: printable ASCII, no line breaks (a response splitter), at most 256 characters. */
function cacheControl(read: SettingReader): string {
  const value = read.optional('IMG_CACHE_CONTROL') ?? 'public, max-age=86400';
  if (!/^[\x20-\x7e]{1,256}$/.test(value)) {
    throw new ConfigError(
      'IMG_CACHE_CONTROL',
      'a Cache-Control header value (printable ASCII, at most 256 characters)',
      value,
    );
  }
  return value;
}

function resourceSettings(read: SettingReader): ResourceSettings {
  const defaults = DEFAULT_RESOURCE_SETTINGS;
  const concurrency = read.integer('IMG_CONCURRENCY', defaults.concurrency, 1, 256);
  const instanceMemoryMb = read.integer(
    'IMG_INSTANCE_MEMORY_MB',
    defaults.instanceMemoryMb,
    256,
    1_048_576,
  );
  const available = imageMemoryMb(instanceMemoryMb, concurrency);
  if (available < MIN_IMAGE_MEMORY_MB) {
    const needed = instanceMemoryMb - available + MIN_IMAGE_MEMORY_MB;
    throw new ConfigError(
      'IMG_INSTANCE_MEMORY_MB',
      `at least ${needed} MB for IMG_CONCURRENCY=${concurrency} (the host and ${concurrency} image thread(s) take ${instanceMemoryMb - available} MB, and images need ${MIN_IMAGE_MEMORY_MB} MB)`,
      String(instanceMemoryMb),
    );
  }
  return {
    concurrency,
    instanceMemoryMb,
    memoryBudgetMb: read.integer('IMG_MEMORY_BUDGET_MB', available, 1, available),
    timeoutMs: read.integer('IMG_TIMEOUT_MS', defaults.timeoutMs, 1, 3_600_000),
  };
}

function deliverySettings(read: SettingReader): DeliverySettings {
  const responseWindowMs = read.integer('IMG_RESPONSE_WINDOW_MS', 30_000, 1_000, 600_000);
  // The download belongs to the run, which outlives the delivery: its limits are the run's
  // own, not the response window's.
  const downloadTimeoutMs = read.integer('IMG_DOWNLOAD_TIMEOUT_MS', 60_000, 100, 600_000);
  const downloadIdleMs = read.integer(
    'IMG_DOWNLOAD_IDLE_MS',
    Math.min(10_000, downloadTimeoutMs),
    100,
    downloadTimeoutMs,
  );
  const maxQueuedRuns = read.integer('IMG_MAX_QUEUED_RUNS', 1_000, 1, 100_000);
  return { responseWindowMs, downloadTimeoutMs, downloadIdleMs, maxQueuedRuns };
}
