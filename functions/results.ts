/**
 * Conditional writes and deletes of result blobs. Every result carries blob metadata that
 * links it to the source version it was made from (`sourcename`, `sourceetag`,
 * `sourcesequencer`, `sourcesha256`). Writes and deletes compare that link with the event at
 * hand and use `ifMatch`/`ifNoneMatch` on the result's own eTag, so under at-least-once,
 * out-of-order delivery a result never goes back to an older version of its source.
 */
import { createHash } from 'node:crypto';
import type { BlobClient, BlockBlobClient } from '@azure/storage-blob';
import { metadataName, outputName } from '../lib/naming.js';
import { classifyStorageError, statusOf, TransientStorageError } from './errors.js';

/**
 * Azure's limit on a blob name, in characters of the name itself (not of its URL-encoded
 * form). We count UTF-16 code units (`string.length`), never fewer than Azure's characters.
 */
export const MAX_BLOB_NAME_LENGTH = 1024;

/** The longest name a result of `sourceName` would get (metadata, output or thumbnail). */
export function longestResultName(sourceName: string): string {
  const names = [
    metadataName(sourceName),
    outputName(sourceName, 'jpeg'),
    outputName(sourceName, 'png'),
  ];
  return names.reduce((longest, name) => (name.length > longest.length ? name : longest));
}

/** Whether every result of `sourceName` gets a name Azure accepts. */
export function resultNamesFit(sourceName: string): boolean {
  return longestResultName(sourceName).length <= MAX_BLOB_NAME_LENGTH;
}

/**
 * Where, in the metadata container, the failure record of a source whose result names would
 * be too long goes: a name that always fits, derived from the source name alone.
 */
export function longNameRecordName(sourceName: string): string {
  const hash = createHash('sha256').update(sourceName, 'utf8').digest('hex');
  return `_long-names/${hash}.json`;
}

/** The metadata document of `sourceName`: `<name>.json`, or its long-name failure record. */
export function metadataLocation(sourceName: string): string {
  return resultNamesFit(sourceName) ? metadataName(sourceName) : longNameRecordName(sourceName);
}

/** Which source version a result was made from. */
export interface SourceLink {
  /** The source blob's name in the input container. */
  name: string;
  eTag: string;
  /** The event's sequencer; orders versions of the same blob name (string comparison). */
  sequencer: string;
  /** SHA-256 of the source bytes, hex; absent when the source was refused unread. */
  sha256?: string;
}

/** What became of one conditional write. */
export type WriteOutcome =
  | { status: 'written'; etag: string | undefined }
  /** The result already holds this source version (a duplicate delivery). */
  | { status: 'unchanged'; etag: string | undefined }
  /** The result holds a newer version of the source: ours must not replace it. */
  | { status: 'stale' };

const MAX_CONTENTION_ROUNDS = 5;

/** Blob metadata of a result. Values are ASCII (HTTP headers): the name is URI-encoded. */
export function linkMetadata(link: SourceLink): Record<string, string> {
  return {
    sourcename: encodeURIComponent(link.name),
    sourceetag: link.eTag,
    sourcesequencer: link.sequencer,
    ...(link.sha256 === undefined ? {} : { sourcesha256: link.sha256 }),
  };
}

/** The link stored on a result blob, if any. */
export function readLink(metadata: Record<string, string> | undefined): Partial<SourceLink> {
  const name = metadata?.sourcename;
  let decoded: string | undefined;
  try {
    decoded = name === undefined ? undefined : decodeURIComponent(name);
  } catch {
    decoded = undefined;
  }
  return {
    ...(decoded === undefined ? {} : { name: decoded }),
    ...(metadata?.sourceetag === undefined ? {} : { eTag: metadata.sourceetag }),
    ...(metadata?.sourcesequencer === undefined ? {} : { sequencer: metadata.sourcesequencer }),
    ...(metadata?.sourcesha256 === undefined ? {} : { sha256: metadata.sourcesha256 }),
  };
}

/** Properties of a blob, or undefined when it does not exist. */
export async function propertiesOrUndefined(
  blob: BlobClient,
  operation: string,
): Promise<{ etag: string | undefined; metadata: Record<string, string> | undefined } | undefined> {
  try {
    const properties = await blob.getProperties();
    return { etag: properties.etag, metadata: properties.metadata };
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw classifyStorageError(operation, error);
  }
}

/**
 * Writes `body` to `blob` unless the blob already holds results of the same or a newer
 * source version. The write is conditional on what was read (`ifMatch` its eTag, or
 * `ifNoneMatch: *` when absent); losing a race re-reads and decides again.
 */
export async function writeResult(
  blob: BlockBlobClient,
  body: Uint8Array,
  contentType: string,
  link: SourceLink,
): Promise<WriteOutcome> {
  const operation = `write ${blob.containerName}/${blob.name}`;
  for (let round = 0; round < MAX_CONTENTION_ROUNDS; round += 1) {
    const existing = await propertiesOrUndefined(blob, operation);
    if (existing !== undefined) {
      const current = readLink(existing.metadata);
      if (current.name === link.name) {
        if (current.eTag === link.eTag) return { status: 'unchanged', etag: existing.etag };
        if ((current.sequencer ?? '') > link.sequencer) return { status: 'stale' };
      }
    }
    try {
      const response = await blob.uploadData(body, {
        blobHTTPHeaders: { blobContentType: contentType },
        metadata: linkMetadata(link),
        conditions: existing === undefined ? { ifNoneMatch: '*' } : { ifMatch: existing.etag },
      });
      return { status: 'written', etag: response.etag };
    } catch (error) {
      const status = statusOf(error);
      // 412: changed since we read it; 409: created since we saw none. Decide again.
      if (status === 412 || status === 409) continue;
      throw classifyStorageError(operation, error);
    }
  }
  throw new TransientStorageError(operation, 412, new Error('too many concurrent writers'));
}

/**
 * Deletes `blob` if it was made from source `name` at a version older than `sequencer`
 * (or, with `eTag`, exactly from that version). Returns whether it deleted anything.
 */
export async function removeResult(
  blob: BlobClient,
  owner: { name: string; sequencer?: string; eTag?: string },
): Promise<boolean> {
  const operation = `delete ${blob.containerName}/${blob.name}`;
  for (let round = 0; round < MAX_CONTENTION_ROUNDS; round += 1) {
    const existing = await propertiesOrUndefined(blob, operation);
    if (existing === undefined) return false;
    const current = readLink(existing.metadata);
    if (current.name !== owner.name) return false;
    if (owner.eTag !== undefined && current.eTag !== owner.eTag) return false;
    if (owner.sequencer !== undefined && (current.sequencer ?? '') >= owner.sequencer) {
      return false;
    }
    try {
      await blob.delete({ conditions: { ifMatch: existing.etag } });
      return true;
    } catch (error) {
      const status = statusOf(error);
      if (status === 404) return false;
      if (status === 412) continue;
      throw classifyStorageError(operation, error);
    }
  }
  throw new TransientStorageError(operation, 412, new Error('too many concurrent writers'));
}
