/**
 * The function app's configuration: read from the environment once, validated, typed.
 * Every setting, its default and its meaning is listed in the README ("Configuration").
 */
import type { ProcessOptions, ThumbnailFit } from '../lib/options.js';
import { ConfigError } from './errors.js';
import { readResourceSettings, type ResourceSettings } from './limits/settings.js';

/** Where the images live and how we authenticate to it. */
export type StorageConfig =
  | {
      kind: 'connectionString';
      /** The setting it came from (`IMAGES_STORAGE` or `AzureWebJobsStorage`). */
      setting: string;
      connectionString: string;
    }
  | {
      kind: 'identity';
      setting: string;
      /** `https://<account>.blob.core.windows.net`. */
      blobServiceUri: string;
      /** Client id of a user-assigned managed identity; absent for the default credential chain. */
      clientId?: string;
    };

/** Names of the containers the pipeline reads and writes. */
export interface ContainerNames {
  input: string;
  output: string;
  thumbnails: string;
  metadata: string;
  deadletter: string;
}

/** Everything the function app needs, validated. */
export interface Config {
  storage: StorageConfig;
  containers: ContainerNames;
  /** Options passed to the imaging core (without the per-image `name`). */
  image: Omit<ProcessOptions, 'name' | 'declaredContentType'>;
  /** `IMG_CONCURRENCY`, `IMG_MEMORY_BUDGET_MB`, `IMG_TIMEOUT_MS` (read by `limits/settings.ts`). */
  resources: ResourceSettings;
}

type Env = NodeJS.ProcessEnv;

/** The prefixes of the identity-based connection settings, in order of precedence. */
const STORAGE_PREFIXES = ['IMAGES_STORAGE', 'AzureWebJobsStorage'] as const;

/**
 * Reads and validates every setting from `env`. Throws a `ConfigError` naming the first
 * bad setting, so a misconfigured app fails at start with a message an operator can act on.
 */
export function loadConfig(env: Env = process.env): Config {
  const containers: ContainerNames = {
    input: containerName(env, 'IMG_INPUT_CONTAINER', 'input'),
    output: containerName(env, 'IMG_OUTPUT_CONTAINER', 'output'),
    thumbnails: containerName(env, 'IMG_THUMBNAIL_CONTAINER', 'thumbnails'),
    metadata: containerName(env, 'IMG_METADATA_CONTAINER', 'metadata'),
    deadletter: containerName(env, 'IMG_DEADLETTER_CONTAINER', 'deadletter'),
  };
  const settings: Record<keyof ContainerNames, string> = {
    input: 'IMG_INPUT_CONTAINER',
    output: 'IMG_OUTPUT_CONTAINER',
    thumbnails: 'IMG_THUMBNAIL_CONTAINER',
    metadata: 'IMG_METADATA_CONTAINER',
    deadletter: 'IMG_DEADLETTER_CONTAINER',
  };
  // A result container equal to the input would make every result trigger the pipeline again.
  const seen = new Map<string, string>();
  for (const key of Object.keys(containers) as (keyof ContainerNames)[]) {
    const other = seen.get(containers[key]);
    if (other !== undefined) {
      throw new ConfigError(
        settings[key],
        `a container name different from ${other}`,
        containers[key],
      );
    }
    seen.set(containers[key], settings[key]);
  }
  return {
    storage: storageConfig(env),
    containers,
    image: {
      maxWidth: integer(env, 'IMG_MAX_WIDTH', 800, 1, 16384),
      maxHeight: integer(env, 'IMG_MAX_HEIGHT', 600, 1, 16384),
      thumbnailWidth: integer(env, 'IMG_THUMBNAIL_WIDTH', 150, 1, 16384),
      thumbnailHeight: integer(env, 'IMG_THUMBNAIL_HEIGHT', 150, 1, 16384),
      thumbnailFit: thumbnailFit(env),
      quality: integer(env, 'IMG_QUALITY', 82, 1, 100),
      maxPixels: integer(env, 'IMG_MAX_PIXELS', 100_000_000, 1, Number.MAX_SAFE_INTEGER),
      maxBytes: integer(env, 'IMG_MAX_BYTES', 104_857_600, 1, Number.MAX_SAFE_INTEGER),
      includeGps: boolean(env, 'IMG_INCLUDE_GPS', true),
      shrinkOnLoad: boolean(env, 'IMG_SHRINK_ON_LOAD', true),
    },
    resources: readResourceSettings(env),
  };
}

let cached: Config | undefined;

/** The process-wide configuration, loaded from `process.env` on first use. */
export function getConfig(): Config {
  cached ??= loadConfig();
  return cached;
}

/**
 * Finds the storage connection: `IMAGES_STORAGE` (connection string, local only), else
 * `IMAGES_STORAGE__blobServiceUri` / `__accountName` (identity), else the same settings
 * under `AzureWebJobsStorage`.
 */
function storageConfig(env: Env): StorageConfig {
  for (const prefix of STORAGE_PREFIXES) {
    const connectionString = optional(env, prefix);
    if (connectionString !== undefined) {
      if (!/(^|;)\s*(AccountName|BlobEndpoint|UseDevelopmentStorage)\s*=/i.test(connectionString)) {
        throw new ConfigError(
          prefix,
          'a storage connection string (AccountName=…;AccountKey=… or UseDevelopmentStorage=true)',
          redact(connectionString),
        );
      }
      return { kind: 'connectionString', setting: prefix, connectionString };
    }
    const uriSetting = `${prefix}__blobServiceUri`;
    const nameSetting = `${prefix}__accountName`;
    const uri = optional(env, uriSetting);
    const accountName = optional(env, nameSetting);
    if (uri === undefined && accountName === undefined) continue;
    const credential = optional(env, `${prefix}__credential`);
    if (credential !== undefined && credential.toLowerCase() !== 'managedidentity') {
      throw new ConfigError(`${prefix}__credential`, "'managedidentity'", credential);
    }
    const clientId = optional(env, `${prefix}__clientId`);
    let blobServiceUri: string;
    if (uri !== undefined) {
      let parsed: URL;
      try {
        parsed = new URL(uri);
      } catch {
        throw new ConfigError(uriSetting, 'an absolute https:// URL', uri);
      }
      if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
        throw new ConfigError(uriSetting, 'an absolute https:// URL', uri);
      }
      blobServiceUri = uri.replace(/\/+$/, '');
    } else {
      const name = accountName ?? '';
      if (!/^[a-z0-9]{3,24}$/.test(name)) {
        throw new ConfigError(nameSetting, 'a storage account name (3-24 a-z, 0-9)', name);
      }
      blobServiceUri = `https://${name}.blob.core.windows.net`;
    }
    return {
      kind: 'identity',
      setting: uri !== undefined ? uriSetting : nameSetting,
      blobServiceUri,
      ...(clientId === undefined ? {} : { clientId }),
    };
  }
  throw new ConfigError(
    'IMAGES_STORAGE__blobServiceUri',
    'the images storage account (IMAGES_STORAGE__blobServiceUri or __accountName in Azure, IMAGES_STORAGE with a connection string locally)',
    undefined,
  );
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  const value = /^[+]?\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `an integer between ${min} and ${max}`, raw);
  }
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  const lower = raw.toLowerCase();
  if (lower === 'true' || lower === '1') return true;
  if (lower === 'false' || lower === '0') return false;
  throw new ConfigError(name, 'true or false', raw);
}

function thumbnailFit(env: Env): ThumbnailFit {
  const raw = optional(env, 'IMG_THUMBNAIL_FIT');
  if (raw === undefined) return 'cover';
  if (raw === 'cover' || raw === 'contain') return raw;
  throw new ConfigError('IMG_THUMBNAIL_FIT', "'cover' or 'contain'", raw);
}

function containerName(env: Env, name: string, fallback: string): string {
  const value = optional(env, name) ?? fallback;
  // Azure's rule: 3-63 characters, lowercase letters, digits and single hyphens inside.
  if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(value)) {
    throw new ConfigError(name, 'a container name (3-63 of a-z, 0-9 and single hyphens)', value);
  }
  return value;
}

function redact(connectionString: string): string {
  return connectionString.replace(/(AccountKey|SharedAccessSignature)=[^;]*/gi, '$1=***');
}
