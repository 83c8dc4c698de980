/**
 * The handler's port for results (output, thumbnail, metadata document), and its Blob Storage
 * adapter. Every write and delete is conditional on the source version a result was made from
 * (see `results.ts`), so under at-least-once, out-of-order delivery a result never goes back
 * to an older version of its source.
 */
import type { BlobServiceClient } from '@azure/storage-blob';
import { metadataName } from '../lib/naming.js';
import type { MetadataRecord } from '../lib/types.js';
import { classifyStorageError, statusOf } from './errors.js';
import { metadataLocation, nameRefusal, refusedNameRecordName } from './blob-names.js';
import {
  propertiesOrUndefined,
  readLink,
  removeResult,
  writeResult,
  type SourceLink,
  type WriteOutcome,
} from './results.js';

/** One result blob to write. */
export interface ResultBlob {
  container: string;
  name: string;
  body: Uint8Array;
  contentType: string;
  /** The `Cache-Control` it is served with. */
  cacheControl: string;
}

/** Which results a removal applies to: made from exactly `eTag`, or before `sequencer`. */
export interface ResultOwner {
  sequencer?: string;
  eTag?: string;
}

/** Reads, writes and removes the results of input blobs. */
export interface ResultStore {
  /** The source version the metadata document of `name` was made from, if there is one. */
  completedVersion(name: string): Promise<Partial<SourceLink> | undefined>;
  /** Writes one result unless it already holds the same or a newer source version. */
  write(result: ResultBlob, link: SourceLink): Promise<WriteOutcome>;
  /**
   * Removes the results of `name` that `owner` covers, except `except` (`container/name`).
   * Returns the `container/name` of each removed blob, metadata first.
   */
  remove(name: string, owner: ResultOwner, except?: readonly string[]): Promise<string[]>;
  /** The metadata document of `name` (success or failure record), if there is one. */
  readRecord(name: string): Promise<MetadataRecord | undefined>;
  /** Where a result blob can be read: its URL in the images account. */
  urlOf(container: string, name: string): string;
}

/** `ResultStore` over the result containers of one Blob Storage account. */
export class BlobResultStore implements ResultStore {
  constructor(
    private readonly serviceClient: BlobServiceClient,
    /** The metadata container and every rendition's container. */
    private readonly containers: ResultContainers,
  ) {}

  async completedVersion(name: string): Promise<Partial<SourceLink> | undefined> {
    const blob = this.serviceClient
      .getContainerClient(this.containers.metadata)
      .getBlobClient(metadataLocation(name));
    const properties = await propertiesOrUndefined(blob, 'read metadata properties');
    return properties === undefined ? undefined : readLink(properties.metadata);
  }

  async readRecord(name: string): Promise<MetadataRecord | undefined> {
    const blob = this.serviceClient
      .getContainerClient(this.containers.metadata)
      .getBlobClient(metadataLocation(name));
    try {
      return JSON.parse((await blob.downloadToBuffer()).toString('utf8')) as MetadataRecord;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw classifyStorageError(`read ${blob.containerName}/${blob.name}`, error);
    }
  }

  urlOf(container: string, name: string): string {
    return this.serviceClient.getContainerClient(container).getBlobClient(name).url;
  }

  write(result: ResultBlob, link: SourceLink): Promise<WriteOutcome> {
    const blob = this.serviceClient
      .getContainerClient(result.container)
      .getBlockBlobClient(result.name);
    return writeResult(
      blob,
      result.body,
      { contentType: result.contentType, cacheControl: result.cacheControl },
      link,
    );
  }

  async remove(
    name: string,
    owner: ResultOwner,
    except: readonly string[] = [],
  ): Promise<string[]> {
    const removed: string[] = [];
    for (const location of resultLocations(this.containers, name)) {
      const id = `${location.container}/${location.name}`;
      if (except.includes(id)) continue;
      const blob = this.serviceClient
        .getContainerClient(location.container)
        .getBlobClient(location.name);
      if (await removeResult(blob, { name, ...owner })) removed.push(id);
    }
    return removed;
  }
}

/** Where results go: the metadata container, and each rendition's container in their order. */
export interface ResultContainers {
  metadata: string;
  renditions: readonly string[];
}

/**
 * Every place a result of `sourceName` can be, metadata first (its presence means the results
 * are complete): renditions keep the input's name in their own containers. A name whose results
 * cannot be named (unsafe, too long) has only its failure record.
 */
export function resultLocations(
  containers: ResultContainers,
  sourceName: string,
): { container: string; name: string }[] {
  if (nameRefusal(sourceName) !== undefined) {
    return [{ container: containers.metadata, name: refusedNameRecordName(sourceName) }];
  }
  return [
    { container: containers.metadata, name: metadataName(sourceName) },
    ...containers.renditions.map((container) => ({ container, name: sourceName })),
  ];
}
