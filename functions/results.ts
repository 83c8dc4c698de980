/**
 * Conditional writes and deletes of result blobs. Every result carries blob metadata that
 * links it to the source version it was made from (`sourcename`, `sourceetag`,
 * `sourcesequencer`, `sourcesha256`). Writes and deletes compare that link with the event at
 * hand and use `ifMatch`/`ifNoneMatch` on the result's own eTag, so under at-least-once,
 * out-of-order delivery a result never goes back to an older version of its source.
 */
import { createHash } from 'node:crypto';
import type { BlobClient, BlockBlobClient } from '@azure/storage-blob';
import { classifyStorageError, statusOf, TransientStorageError } from './errors.js';

/** Which source version a result was made from. */
export interface SourceLink {
  /** The source blob's name in the input container. */
  name: string;
  eTag: string;
  /** The event's sequencer; orders versions of the same blob name (string comparison). */
  sequencer: string;
  /** SHA-256 of the source bytes, hex; absent when the source was refused unread. */
  sha256?: string;
  /**
   * Not stored: the eTag whose results this run replaces although they are of the same version
   * (a backfill remaking outdated or failed results). Any other version is written as usual.
   */
  replaces?: string;
}

/** The HTTP headers a result is served with. */
export interface ResultHeaders {
  /** Its real format, whatever its name says. */
  contentType: string;
  cacheControl?: string;
}

/** What became of one conditional write. */
export type WriteOutcome =
  | { status: 'written'; etag: string | undefined }
  /** The result already holds this source version (a duplicate delivery). */
  | { status: 'unchanged'; etag: string | undefined }
  /** The result holds a newer version of the source: ours must not replace it. */
  | { status: 'stale' };

const MAX_CONTENTION_ROUNDS = 5;

/**
 * Longest URI-encoded source name stored as it is. Azure limits a blob's metadata to 8 KiB
 * in all (Azurite does not enforce it), and a 1,024-character name of 3-byte characters
 * encodes to 9 KiB: longer ones are stored as `sha256:<hex>` of the name.
 */
const MAX_STORED_NAME = 2048;

/** The `sourcename` value of `name`: URI-encoded, or its hash when that is too long. */
function sourceNameValue(name: string): string {
  const encoded = encodeURIComponent(name);
  if (encoded.length <= MAX_STORED_NAME) return encoded;
  return `sha256:${createHash('sha256').update(name, 'utf8').digest('hex')}`;
}

/** Whether a link read from a result names the source `name`. */
export function sameSource(stored: Partial<SourceLink>, name: string): boolean {
  return (
    stored.name !== undefined && (stored.name === name || stored.name === sourceNameValue(name))
  );
}

/** Blob metadata of a result. Values are ASCII (HTTP headers): the name is URI-encoded. */
export function linkMetadata(link: SourceLink): Record<string, string> {
  return {
    sourcename: sourceNameValue(link.name),
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
  headers: ResultHeaders,
  link: SourceLink,
): Promise<WriteOutcome> {
  const operation = `write ${blob.containerName}/${blob.name}`;
  for (let round = 0; round < MAX_CONTENTION_ROUNDS; round += 1) {
    const existing = await propertiesOrUndefined(blob, operation);
    if (existing !== undefined) {
      const current = readLink(existing.metadata);
      if (sameSource(current, link.name)) {
        if (current.eTag === link.eTag && link.replaces !== link.eTag) {
          return { status: 'unchanged', etag: existing.etag };
        }
        if ((current.sequencer ?? '') > link.sequencer) return { status: 'stale' };
      }
    }
    try {
      const response = await blob.uploadData(body, {
        blobHTTPHeaders: {
          blobContentType: headers.contentType,
          ...(headers.cacheControl === undefined ? {} : { blobCacheControl: headers.cacheControl }),
        },
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
    if (!sameSource(current, owner.name)) return false;
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
