/**
 * Shared setup of the function's integration tests: containers on the suite's Azurite, a
 * configuration pointing at it, uploads, and events built from blobs' real properties.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { BlobServiceClient } from '@azure/storage-blob';
import { azureFunctions as functions } from '../../functions/azure-functions.js';
import { handlerDeps } from '../../functions/app.js';
import {
  allContainers,
  DEFAULT_RESOURCE_SETTINGS,
  loadConfig,
  type Config,
} from '../../functions/config.js';
import { ImageRunner, type ImageRunnerOptions } from '../../functions/limits/index.js';
import { createEventHandler, type EventHandler } from '../../functions/process-blob.js';
import {
  blobCreatedEvent,
  blobDeletedEvent,
  localTopic,
  sequencerSource,
  type EventGridStorageEvent,
} from '../../functions/local/events.js';
import { FIXTURE_IMAGES } from '../../functions/local/samples.js';

/** Bytes of a file under fixtures/images/. */
export function fixture(name: string): Buffer {
  return readFileSync(path.join(FIXTURE_IMAGES, name));
}

/** A configuration for `connectionString` with containers named after `prefix` (one set per test). */
export function testConfig(
  connectionString: string,
  prefix: string,
  env: Record<string, string> = {},
): Config {
  return loadConfig({
    IMAGES_STORAGE: connectionString,
    IMG_INPUT_CONTAINER: `${prefix}-input`,
    IMG_OUTPUT_CONTAINER: `${prefix}-output`,
    IMG_THUMBNAIL_CONTAINER: `${prefix}-thumbnails`,
    IMG_METADATA_CONTAINER: `${prefix}-metadata`,
    IMG_DEADLETTER_CONTAINER: `${prefix}-deadletter`,
    ...env,
  });
}

/**
 * Registers hooks that give the suite its own image runner (worker threads, the default
 * limits unless told otherwise), closed after the suite.
 */
export function useImageRunner(settings: Partial<ImageRunnerOptions> = {}): {
  runner: ImageRunner;
} {
  const handle = {} as { runner: ImageRunner };
  before(() => {
    handle.runner = new ImageRunner({ ...DEFAULT_RESOURCE_SETTINGS, ...settings });
  });
  after(async () => {
    await handle.runner?.close();
  });
  return handle;
}

/** The handler the app builds, over `serviceClient` and `runner`. */
export function testHandler(
  config: Config,
  serviceClient: BlobServiceClient,
  runner: ImageRunner,
): EventHandler {
  return createEventHandler(handlerDeps(config, serviceClient, runner));
}

/** Creates every container of `config`. */
export async function createContainers(client: BlobServiceClient, config: Config): Promise<void> {
  for (const name of allContainers(config)) {
    await client.getContainerClient(name).createIfNotExists();
  }
}

const nextSequencer = sequencerSource();

/** Uploads `bytes` to `container/name` and returns the BlobCreated event Azure would send. */
export async function upload(
  client: BlobServiceClient,
  container: string,
  name: string,
  bytes: Uint8Array,
  contentType = 'image/jpeg',
): Promise<EventGridStorageEvent> {
  const blob = client.getContainerClient(container).getBlockBlobClient(name);
  const response = await blob.uploadData(bytes, {
    blobHTTPHeaders: { blobContentType: contentType },
  });
  return blobCreatedEvent(
    localTopic(client.accountName),
    {
      container,
      name,
      url: blob.url,
      eTag: response.etag ?? '',
      contentLength: bytes.length,
      contentType,
      blobType: 'BlockBlob',
    },
    nextSequencer(),
  );
}

/** Deletes `container/name` and returns the BlobDeleted event Azure would send. */
export async function remove(
  client: BlobServiceClient,
  container: string,
  name: string,
): Promise<EventGridStorageEvent> {
  const blob = client.getContainerClient(container).getBlobClient(name);
  await blob.deleteIfExists();
  return blobDeletedEvent(
    localTopic(client.accountName),
    { container, name, url: blob.url, contentType: 'image/jpeg', blobType: 'BlockBlob' },
    nextSequencer(),
  );
}

/** A fresh invocation context, as the Functions host would pass (logs kept for asserts). */
export function invocation(logs: string[] = []): InstanceType<typeof functions.InvocationContext> {
  return new functions.InvocationContext({
    invocationId: `test-${Math.random().toString(16).slice(2)}`,
    functionName: 'processImage',
    logHandler: (level, ...args) => logs.push(`${level}: ${args.map(String).join(' ')}`),
  });
}

/** Names of the blobs in a container. */
export async function list(client: BlobServiceClient, container: string): Promise<string[]> {
  const names: string[] = [];
  for await (const item of client.getContainerClient(container).listBlobsFlat()) {
    names.push(item.name);
  }
  return names.sort();
}

/** A blob's properties, or undefined when absent. */
export async function properties(client: BlobServiceClient, container: string, name: string) {
  const blob = client.getContainerClient(container).getBlobClient(name);
  return (await blob.exists()) ? blob.getProperties() : undefined;
}

/** A JSON blob, parsed. */
export async function readJson<T>(
  client: BlobServiceClient,
  container: string,
  name: string,
): Promise<T> {
  const buffer = await client.getContainerClient(container).getBlobClient(name).downloadToBuffer();
  return JSON.parse(buffer.toString('utf8')) as T;
}
