/**
 * Where a backfill run reads and publishes: the images account (by `--account` with the
 * operator's Entra ID sign-in, or a connection string) with the function app's own settings
 * (containers, renditions: the same `loadConfig`), and the backfill topic's endpoint.
 * Anything missing or malformed is a `BackfillUsageError` naming the flag or setting.
 */
import { DefaultAzureCredential } from '@azure/identity';
import { BlobServiceClient } from '@azure/storage-blob';
import {
  backfillTopicEndpoint,
  loadConfig,
  topicEndpoint,
  type Config,
  type Env,
} from '../config.js';
import { ConfigError } from '../errors.js';
import { SettingReader } from '../setting-reader.js';
import { BackfillUsageError, type BackfillArgs } from './args.js';

/** What a run works on. */
export interface BackfillTargets {
  /** The function app's settings, as it would load them from the same environment. */
  config: Config;
  serviceClient: BlobServiceClient;
  /** Undefined only for a dry run. */
  topicEndpoint: string | undefined;
}

/** Settings any of which names the images account. */
const STORAGE_SETTINGS = ['IMAGES_STORAGE', 'AzureWebJobsStorage'].flatMap((prefix) => [
  prefix,
  `${prefix}__blobServiceUri`,
  `${prefix}__accountName`,
]);

/** Resolves storage and topic from the flags, else from `env`. */
export function backfillTargets(args: BackfillArgs, env: Env): BackfillTargets {
  const config = asUsage(() => loadConfig(storageEnv(args, env)));
  return {
    config,
    serviceClient: serviceClientOf(config),
    topicEndpoint: topicOf(args, env),
  };
}

/** `env` with the storage the flags name in place of the one it names. */
function storageEnv(args: BackfillArgs, env: Env): Env {
  const cleared = Object.fromEntries(STORAGE_SETTINGS.map((name) => [name, undefined]));
  if (args.connectionString !== undefined) {
    return { ...env, ...cleared, IMAGES_STORAGE: args.connectionString };
  }
  if (args.account !== undefined) {
    return { ...env, ...cleared, IMAGES_STORAGE__accountName: args.account };
  }
  if (!STORAGE_SETTINGS.some((name) => (env[name] ?? '').trim() !== '')) {
    throw new BackfillUsageError(
      'No way to reach the images storage: give --account NAME (Entra ID) or --connection-string, or set IMAGES_STORAGE.',
    );
  }
  return env;
}

/**
 * A human operator's client: a connection string, or the Entra ID sign-in of whoever runs it
 * (`az login`, environment, managed identity: `DefaultAzureCredential`), never an account key.
 */
function serviceClientOf(config: Config): BlobServiceClient {
  const { storage } = config;
  if (storage.kind === 'connectionString') {
    return BlobServiceClient.fromConnectionString(storage.connectionString);
  }
  return new BlobServiceClient(storage.blobServiceUri, new DefaultAzureCredential());
}

function topicOf(args: BackfillArgs, env: Env): string | undefined {
  const flag = args.topicEndpoint;
  const endpoint = asUsage(() =>
    flag === undefined
      ? backfillTopicEndpoint(env)
      : topicEndpoint(new SettingReader({ '--topic-endpoint': flag }), '--topic-endpoint'),
  );
  if (endpoint === undefined && !args.dryRun) {
    throw new BackfillUsageError(
      'No backfill topic: give --topic-endpoint URL (the deployment output BACKFILL_TOPIC_ENDPOINT, or http://127.0.0.1:7071/api/events for npm start) or set IMG_BACKFILL_TOPIC_ENDPOINT.',
    );
  }
  return endpoint;
}

/** A settings error, as a usage error (exit code 2) with its message. */
function asUsage<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof ConfigError) throw new BackfillUsageError(error.message);
    throw error;
  }
}
