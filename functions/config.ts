/**
 * The one settings module: every environment variable that the function app, the local
 * runtime and the tools read is read and validated here, once, with one rule set and one
 * message shape (`ConfigError`). Nothing else under `functions/` touches `process.env`.
 * Every setting, its default and its meaning is listed in docs/configuration.md.
 */
import { DEFAULT_OPTIONS, type ProcessOptions, type ThumbnailFit } from '../lib/options.js';
import { ConfigError } from './errors.js';
import { imageMemoryMb, MIN_IMAGE_MEMORY_MB } from './limits/memory.js';
import type { StorageConfig } from './storage.js';
import type { TelemetrySettings } from './telemetry/settings.js';

export type { StorageConfig } from './storage.js';
export type { TelemetryExporter, TelemetrySettings } from './telemetry/settings.js';

/** Environment variables, as `process.env` holds them. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Names of the containers the pipeline reads and writes. */
export interface ContainerNames {
  input: string;
  output: string;
  thumbnails: string;
  metadata: string;
  deadletter: string;
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
   * in Azure; the local runtime's `--delivery-timeout-s`). Work that cannot end in time is
   * refused fast instead, to be retried.
   */
  responseWindowMs: number;
  /** `IMG_DOWNLOAD_TIMEOUT_MS`: the longest an input download may take in all. */
  downloadTimeoutMs: number;
  /** `IMG_DOWNLOAD_IDLE_MS`: the longest an input download may go without a byte. */
  downloadIdleMs: number;
}

/** Options the function passes to the imaging core (all but the per-image name and type). */
export type ImageSettings = Omit<ProcessOptions, 'name' | 'declaredContentType'>;

/** Everything the function app needs, validated. */
export interface Config {
  storage: StorageConfig;
  containers: ContainerNames;
  /** Options passed to the imaging core; defaults are the core's `DEFAULT_OPTIONS`. */
  image: ImageSettings;
  resources: ResourceSettings;
  delivery: DeliverySettings;
  telemetry: TelemetrySettings;
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
  return {
    storage: storageConfig(read),
    containers: containerNames(read),
    image: imageSettings(read),
    resources: resourceSettings(read),
    delivery: deliverySettings(read),
    telemetry: telemetrySettings(read),
  };
}

/** The telemetry settings alone: telemetry starts before the rest of the app is loaded. */
export function readTelemetrySettings(env: Env = environment()): TelemetrySettings {
  return telemetrySettings(new SettingReader(env));
}

/** Typed readers over one environment: every setting goes through one of these rules. */
class SettingReader {
  constructor(private readonly env: Env) {}

  optional(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const value = /^[+]?\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new ConfigError(name, `an integer between ${min} and ${max}`, raw);
    }
    return value;
  }

  ratio(name: string, fallback: number): number {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const value = /^[+]?(\d+\.?\d*|\.\d+)$/.test(raw) ? Number(raw) : Number.NaN;
    if (!(value >= 0 && value <= 1)) throw new ConfigError(name, 'a number from 0 to 1', raw);
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const lower = raw.toLowerCase();
    if (lower === 'true' || lower === '1') return true;
    if (lower === 'false' || lower === '0') return false;
    throw new ConfigError(name, 'true or false', raw);
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    throw new ConfigError(name, allowed.map((value) => `'${value}'`).join(' or '), raw);
  }

  containerName(name: string, fallback: string): string {
    const value = this.optional(name) ?? fallback;
    // Azure's rule: 3-63 characters, lowercase letters, digits and single hyphens inside.
    if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(value)) {
      throw new ConfigError(name, 'a container name (3-63 of a-z, 0-9 and single hyphens)', value);
    }
    return value;
  }
}

const CONTAINER_SETTINGS: Readonly<Record<keyof ContainerNames, [setting: string, name: string]>> =
  {
    input: ['IMG_INPUT_CONTAINER', 'input'],
    output: ['IMG_OUTPUT_CONTAINER', 'output'],
    thumbnails: ['IMG_THUMBNAIL_CONTAINER', 'thumbnails'],
    metadata: ['IMG_METADATA_CONTAINER', 'metadata'],
    deadletter: ['IMG_DEADLETTER_CONTAINER', 'deadletter'],
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

function imageSettings(read: SettingReader): ImageSettings {
  const core = DEFAULT_OPTIONS;
  const dimension = (name: string, fallback: number) => read.integer(name, fallback, 1, 16384);
  const count = (name: string, fallback: number) =>
    read.integer(name, fallback, 1, Number.MAX_SAFE_INTEGER);
  return {
    maxWidth: dimension('IMG_MAX_WIDTH', core.maxWidth),
    maxHeight: dimension('IMG_MAX_HEIGHT', core.maxHeight),
    thumbnailWidth: dimension('IMG_THUMBNAIL_WIDTH', core.thumbnailWidth),
    thumbnailHeight: dimension('IMG_THUMBNAIL_HEIGHT', core.thumbnailHeight),
    thumbnailFit: read.oneOf<ThumbnailFit>('IMG_THUMBNAIL_FIT', core.thumbnailFit, [
      'cover',
      'contain',
    ]),
    quality: read.integer('IMG_QUALITY', core.quality, 1, 100),
    maxPixels: count('IMG_MAX_PIXELS', core.maxPixels),
    maxBytes: count('IMG_MAX_BYTES', core.maxBytes),
    includeGps: read.boolean('IMG_INCLUDE_GPS', core.includeGps),
    shrinkOnLoad: read.boolean('IMG_SHRINK_ON_LOAD', core.shrinkOnLoad),
  };
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
  const downloadTimeoutMs = read.integer(
    'IMG_DOWNLOAD_TIMEOUT_MS',
    Math.round(responseWindowMs / 2),
    100,
    responseWindowMs,
  );
  const downloadIdleMs = read.integer(
    'IMG_DOWNLOAD_IDLE_MS',
    Math.min(10_000, downloadTimeoutMs),
    100,
    downloadTimeoutMs,
  );
  return { responseWindowMs, downloadTimeoutMs, downloadIdleMs };
}

/** The prefixes of the storage connection settings, in order of precedence. */
const STORAGE_PREFIXES = ['IMAGES_STORAGE', 'AzureWebJobsStorage'] as const;

/**
 * Finds the storage connection: `IMAGES_STORAGE` (connection string, local only), else
 * `IMAGES_STORAGE__blobServiceUri` / `__accountName` (identity), else the same settings
 * under `AzureWebJobsStorage`.
 */
function storageConfig(read: SettingReader): StorageConfig {
  for (const prefix of STORAGE_PREFIXES) {
    const connectionString = read.optional(prefix);
    if (connectionString !== undefined) return connectionStringConfig(prefix, connectionString);
    const identity = identityConfig(read, prefix);
    if (identity !== undefined) return identity;
  }
  throw new ConfigError(
    'IMAGES_STORAGE__blobServiceUri',
    'the images storage account (IMAGES_STORAGE__blobServiceUri or __accountName in Azure, IMAGES_STORAGE with a connection string locally)',
    undefined,
  );
}

function connectionStringConfig(setting: string, connectionString: string): StorageConfig {
  if (!/(^|;)\s*(AccountName|BlobEndpoint|UseDevelopmentStorage)\s*=/i.test(connectionString)) {
    throw new ConfigError(
      setting,
      'a storage connection string (AccountName=…;AccountKey=… or UseDevelopmentStorage=true)',
      redact(connectionString),
    );
  }
  return { kind: 'connectionString', setting, connectionString };
}

function identityConfig(read: SettingReader, prefix: string): StorageConfig | undefined {
  const uriSetting = `${prefix}__blobServiceUri`;
  const nameSetting = `${prefix}__accountName`;
  const uri = read.optional(uriSetting);
  const accountName = read.optional(nameSetting);
  if (uri === undefined && accountName === undefined) return undefined;
  const credential = read.optional(`${prefix}__credential`);
  if (credential !== undefined && credential.toLowerCase() !== 'managedidentity') {
    throw new ConfigError(`${prefix}__credential`, "'managedidentity'", credential);
  }
  const clientId = read.optional(`${prefix}__clientId`);
  return {
    kind: 'identity',
    setting: uri !== undefined ? uriSetting : nameSetting,
    blobServiceUri:
      uri !== undefined ? serviceUri(uriSetting, uri) : accountUri(nameSetting, accountName ?? ''),
    ...(clientId === undefined ? {} : { clientId }),
  };
}

function serviceUri(setting: string, uri: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(uri);
  } catch {
    parsed = undefined;
  }
  if (parsed?.protocol !== 'https:' && parsed?.protocol !== 'http:') {
    throw new ConfigError(setting, 'an absolute https:// URL', uri);
  }
  return uri.replace(/\/+$/, '');
}

function accountUri(setting: string, accountName: string): string {
  if (!/^[a-z0-9]{3,24}$/.test(accountName)) {
    throw new ConfigError(setting, 'a storage account name (3-24 a-z, 0-9)', accountName);
  }
  return `https://${accountName}.blob.core.windows.net`;
}

function redact(connectionString: string): string {
  return connectionString.replace(/(AccountKey|SharedAccessSignature)=[^;]*/gi, '$1=***');
}

/**
 * The telemetry contract shared with bicep/: `APPLICATIONINSIGHTS_CONNECTION_STRING`,
 * `APPLICATIONINSIGHTS_AUTHENTICATION_STRING`, `IMG_TELEMETRY_CONSOLE`,
 * `IMG_TRACE_SAMPLING_RATIO`. A typo fails at start rather than silently dropping telemetry.
 */
function telemetrySettings(read: SettingReader): TelemetrySettings {
  const samplingRatio = read.ratio('IMG_TRACE_SAMPLING_RATIO', 1);
  const console = read.boolean('IMG_TELEMETRY_CONSOLE', false);
  const connectionString = read.optional('APPLICATIONINSIGHTS_CONNECTION_STRING');
  if (connectionString === undefined) {
    return { exporter: console ? 'console' : 'none', samplingRatio };
  }
  if (!keyValuePairs(connectionString).get('instrumentationkey')) {
    throw new ConfigError(
      'APPLICATIONINSIGHTS_CONNECTION_STRING',
      'a connection string with InstrumentationKey=…',
      connectionString.replace(/=.*/s, '=…'),
    );
  }
  const entraId = entraIdOf(read);
  return {
    exporter: 'azure-monitor',
    connectionString,
    samplingRatio,
    ...(entraId === undefined ? {} : { entraId }),
  };
}

function entraIdOf(read: SettingReader): TelemetrySettings['entraId'] {
  const setting = 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING';
  const authentication = read.optional(setting);
  if (authentication === undefined) return undefined;
  const auth = keyValuePairs(authentication);
  if (auth.get('authorization')?.toUpperCase() !== 'AAD') {
    throw new ConfigError(
      setting,
      'Authorization=AAD (optionally with ClientId=<client id>)',
      authentication,
    );
  }
  const clientId = auth.get('clientid') || read.optional('AZURE_CLIENT_ID');
  return clientId ? { clientId } : {};
}

/** Splits `Key=Value;Key=Value` (connection-string style) into a map with lower-case keys. */
export function keyValuePairs(text: string): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const part of text.split(';')) {
    const index = part.indexOf('=');
    if (index <= 0) continue;
    pairs.set(part.slice(0, index).trim().toLowerCase(), part.slice(index + 1).trim());
  }
  return pairs;
}
