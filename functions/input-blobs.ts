/**
 * The handler's port for reading input blobs, and its Blob Storage adapter. The handler only
 * asks two things of the input container: "give me this version, within this many bytes" and
 * "is it still there".
 */
import type { Readable } from 'node:stream';
import type { ContainerClient } from '@azure/storage-blob';
import { classifyStorageError, statusOf, TransientStorageError } from './errors.js';
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
  /**
   * The first `length` bytes of version `eTag` of `name` (fewer for a shorter blob), or
   * undefined when that version cannot be read now: the download that follows says why.
   */
  head(name: string, eTag: string, length: number): Promise<Uint8Array | undefined>;
  /** Whether `name` exists now. */
  exists(name: string): Promise<boolean>;
  /** The version of `name` there now, or undefined when it does not exist (a backfill's start). */
  current(name: string): Promise<CurrentBlob | undefined>;
}

/** An input blob as it is now. */
export interface CurrentBlob {
  /** Without quotes, as events carry it. */
  eTag: string;
  contentLength: number | undefined;
  contentType: string | undefined;
  blobType: string | undefined;
}

/**
 * How long a download may take: in all, and without a byte arriving. The storage SDK's own
 * timeout stops once the response headers arrive, so a stalled body would wait forever.
 */
export interface DownloadLimits {
  totalMs: number;
  idleMs: number;
}

/** `InputBlobs` over one Blob Storage container. */
export class BlobInputs implements InputBlobs {
  constructor(
    private readonly container: ContainerClient,
    private readonly limits: DownloadLimits,
  ) {}

  async download(name: string, eTag: string, maxBytes: number): Promise<Download> {
    const operation = `download ${this.container.containerName}/${name}`;
    const timer = new TransferTimer(this.limits);
    try {
      return await this.read(name, eTag, maxBytes, timer);
    } catch (error) {
      const stalled = timer.reason();
      throw stalled === undefined
        ? classifyStorageError(operation, error)
        : new TransientStorageError(operation, undefined, new Error(stalled));
    } finally {
      timer.dispose();
    }
  }

  private async read(
    name: string,
    eTag: string,
    maxBytes: number,
    timer: TransferTimer,
  ): Promise<Download> {
    let response;
    try {
      // Conditional on the event's eTag: a stale event must never process newer content.
      response = await this.container.getBlobClient(name).download(0, undefined, {
        conditions: { ifMatch: `"${eTag}"` },
        abortSignal: timer.signal,
      });
    } catch (error) {
      const status = statusOf(error);
      if (status === 404) return { kind: 'deleted' };
      if (status === 412) return this.changedOrDeleted(name);
      throw error;
    }
    const stream = response.readableStreamBody as Readable | undefined;
    const declared = response.contentLength ?? 0;
    const read =
      declared > maxBytes
        ? { bytes: undefined, total: declared }
        : await readCapped(stream, maxBytes, timer);
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

  async head(name: string, eTag: string, length: number): Promise<Uint8Array | undefined> {
    const timer = new TransferTimer(this.limits);
    try {
      const response = await this.container.getBlobClient(name).download(0, length, {
        conditions: { ifMatch: `"${eTag}"` },
        abortSignal: timer.signal,
      });
      const stream = response.readableStreamBody as Readable | undefined;
      return (await readCapped(stream, length, timer)).bytes;
    } catch {
      // Whatever stopped it (changed, deleted, storage trouble) stops the download too, which
      // tells it apart; the estimate then takes the worst case.
      return undefined;
    } finally {
      timer.dispose();
    }
  }

  async exists(name: string): Promise<boolean> {
    const blob = this.container.getBlobClient(name);
    const operation = `read ${this.container.containerName}/${name} properties`;
    return (await propertiesOrUndefined(blob, operation)) !== undefined;
  }

  async current(name: string): Promise<CurrentBlob | undefined> {
    const blob = this.container.getBlobClient(name);
    try {
      const properties = await blob.getProperties();
      return {
        eTag: unquoteETag(properties.etag ?? ''),
        contentLength: properties.contentLength,
        contentType: properties.contentType,
        blobType: properties.blobType,
      };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw classifyStorageError(`read ${this.container.containerName}/${name} properties`, error);
    }
  }
}

/**
 * Reads a download stream into memory and stops as soon as it passes `maxBytes` (the declared
 * length can be absent or wrong): `bytes` is undefined then, and `total` what was counted.
 * Every chunk restarts the idle timer.
 */
async function readCapped(
  stream: Readable | undefined,
  maxBytes: number,
  timer: TransferTimer,
): Promise<{ bytes: Uint8Array | undefined; total: number }> {
  if (stream === undefined) return { bytes: new Uint8Array(0), total: 0 };
  const stop = timer.onAbort((reason) => stream.destroy(new Error(reason)));
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of stream) {
      timer.touch();
      const buffer = chunk as Buffer;
      total += buffer.length;
      if (total > maxBytes) return { bytes: undefined, total };
      chunks.push(buffer);
    }
    return { bytes: Buffer.concat(chunks, total), total };
  } finally {
    stop();
  }
}

/** Aborts a transfer that takes longer than `totalMs`, or goes `idleMs` without a byte. */
class TransferTimer {
  readonly #controller = new AbortController();
  readonly #total: NodeJS.Timeout;
  #idle: NodeJS.Timeout;
  #reason: string | undefined;

  constructor(private readonly limits: DownloadLimits) {
    this.#total = setTimeout(
      () => this.#abort(`took longer than ${limits.totalMs} ms`),
      limits.totalMs,
    );
    this.#idle = this.#idleTimer();
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Why the transfer was aborted, if it was. */
  reason(): string | undefined {
    return this.#reason;
  }

  /** Data arrived: the idle time starts again. */
  touch(): void {
    clearTimeout(this.#idle);
    this.#idle = this.#idleTimer();
  }

  /** Calls `listener` when the transfer is aborted; returns a function that stops listening. */
  onAbort(listener: (reason: string) => void): () => void {
    const handler = () => listener(this.#reason ?? 'aborted');
    this.signal.addEventListener('abort', handler);
    return () => this.signal.removeEventListener('abort', handler);
  }

  dispose(): void {
    clearTimeout(this.#total);
    clearTimeout(this.#idle);
  }

  #idleTimer(): NodeJS.Timeout {
    const { idleMs } = this.limits;
    return setTimeout(() => this.#abort(`received no data for ${idleMs} ms`), idleMs);
  }

  #abort(reason: string): void {
    this.#reason ??= reason;
    this.#controller.abort(new Error(reason));
  }
}
