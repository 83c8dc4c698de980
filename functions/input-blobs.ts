/**
 * The handler's port for reading input blobs, and its Blob Storage adapter. The handler only
 * asks two things of the input container: "give me this version, within this many bytes" and
 * "is it still there".
 */
import type { Readable } from 'node:stream';
import type { ContainerClient } from '@azure/storage-blob';
import { classifyStorageError, statusOf } from './errors.js';
import { unquoteETag } from './events.js';
import { propertiesOrUndefined } from './results.js';

/** What became of one download of an input blob. */
export type Download =
  | { kind: 'ok'; bytes: Uint8Array; contentType: string | undefined }
  /** Over the byte cap, by the declared length or by counting: nothing more is read. */
  | { kind: 'too-large'; total: number; contentType: string | undefined }
  /** The blob exists but no longer has the eTag asked for: `eTag` is the one it has now. */
  | { kind: 'changed'; eTag: string }
  | { kind: 'deleted' };

/** Reads input blobs. */
export interface InputBlobs {
  /** Downloads version `eTag` of `name`, reading at most `maxBytes`. */
  download(name: string, eTag: string, maxBytes: number): Promise<Download>;
  /** Whether `name` exists now. */
  exists(name: string): Promise<boolean>;
}

/** `InputBlobs` over one Blob Storage container. */
export class BlobInputs implements InputBlobs {
  constructor(private readonly container: ContainerClient) {}

  async download(name: string, eTag: string, maxBytes: number): Promise<Download> {
    const blob = this.container.getBlobClient(name);
    const operation = `download ${this.container.containerName}/${name}`;
    let response;
    try {
      // Conditional on the event's eTag: a stale event must never process newer content.
      response = await blob.download(0, undefined, { conditions: { ifMatch: `"${eTag}"` } });
    } catch (error) {
      const status = statusOf(error);
      if (status === 404) return { kind: 'deleted' };
      if (status === 412) return this.changedOrDeleted(name);
      throw classifyStorageError(operation, error);
    }
    const stream = response.readableStreamBody as Readable | undefined;
    const declared = response.contentLength ?? 0;
    const read =
      declared > maxBytes
        ? { bytes: undefined, total: declared }
        : await readCapped(stream, maxBytes, operation);
    if (read.bytes === undefined) {
      stream?.destroy();
      return { kind: 'too-large', total: read.total, contentType: response.contentType };
    }
    return { kind: 'ok', bytes: read.bytes, contentType: response.contentType };
  }

  /** Changed or gone: some storage answers a conditional read of a deleted blob with 412. */
  private async changedOrDeleted(name: string): Promise<Download> {
    const blob = this.container.getBlobClient(name);
    const operation = `read ${this.container.containerName}/${name} properties`;
    const now = await propertiesOrUndefined(blob, operation);
    return now?.etag === undefined
      ? { kind: 'deleted' }
      : { kind: 'changed', eTag: unquoteETag(now.etag) };
  }

  async exists(name: string): Promise<boolean> {
    const blob = this.container.getBlobClient(name);
    const operation = `read ${this.container.containerName}/${name} properties`;
    return (await propertiesOrUndefined(blob, operation)) !== undefined;
  }
}

/**
 * Reads a download stream into memory and stops as soon as it passes `maxBytes` (the declared
 * length can be absent or wrong). `bytes` is undefined then.
 */
async function readCapped(
  stream: Readable | undefined,
  maxBytes: number,
  operation: string,
): Promise<{ bytes: Uint8Array | undefined; total: number }> {
  const chunks: Buffer[] = [];
  let total = 0;
  if (stream === undefined) return { bytes: new Uint8Array(0), total };
  try {
    for await (const chunk of stream) {
      const buffer = chunk as Buffer;
      total += buffer.length;
      if (total > maxBytes) return { bytes: undefined, total };
      chunks.push(buffer);
    }
  } catch (error) {
    throw classifyStorageError(operation, error);
  }
  return { bytes: Buffer.concat(chunks, total), total };
}
