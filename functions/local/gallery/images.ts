/**
 * What the gallery shows: one entry per blob in `input`, with its metadata document when it
 * has one (processed or failed) and `pending` until then. Documents are read once per eTag,
 * so the page's polling costs a listing of two containers, not a download per image.
 */
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import type { MetadataRecord } from '../../../lib/types.js';
import { metadataLocation } from '../../blob-names.js';

/** One image as the page lists it. */
export interface GalleryEntry {
  /** The input's container and name. */
  container: string;
  name: string;
  status: 'pending' | MetadataRecord['status'];
  /** When the input was last written (ISO 8601): the grid's order, newest first. */
  uploadedAt: string;
  inputBytes: number;
  /** The metadata document, when its record exists. */
  record?: MetadataRecord;
}

/** Containers the gallery reads. */
export interface GalleryContainers {
  input: string;
  metadata: string;
}

/** Lists `input` and `metadata`, reading each changed document once. */
export class GalleryIndex {
  readonly #input: ContainerClient;
  readonly #metadata: ContainerClient;
  /** Metadata document name → its eTag and content. */
  readonly #documents = new Map<string, { etag: string; record: MetadataRecord | undefined }>();

  constructor(serviceClient: BlobServiceClient, containers: GalleryContainers) {
    this.#input = serviceClient.getContainerClient(containers.input);
    this.#metadata = serviceClient.getContainerClient(containers.metadata);
  }

  /** Every input with its record, newest upload first. */
  async entries(): Promise<GalleryEntry[]> {
    const etags = new Map<string, string>();
    for await (const blob of this.#metadata.listBlobsFlat())
      etags.set(blob.name, blob.properties.etag ?? '');
    const entries: GalleryEntry[] = [];
    for await (const blob of this.#input.listBlobsFlat()) {
      const location = metadataLocation(blob.name);
      const etag = etags.get(location);
      const record = etag === undefined ? undefined : await this.#document(location, etag);
      entries.push({
        container: this.#input.containerName,
        name: blob.name,
        status: record?.status ?? 'pending',
        uploadedAt: (blob.properties.lastModified ?? new Date(0)).toISOString(),
        inputBytes: blob.properties.contentLength ?? 0,
        ...(record === undefined ? {} : { record }),
      });
    }
    return entries.sort(
      (a, b) => b.uploadedAt.localeCompare(a.uploadedAt) || a.name.localeCompare(b.name),
    );
  }

  async #document(location: string, etag: string): Promise<MetadataRecord | undefined> {
    const cached = this.#documents.get(location);
    if (cached?.etag === etag) return cached.record;
    let record: MetadataRecord | undefined;
    try {
      const bytes = await this.#metadata.getBlobClient(location).downloadToBuffer();
      record = JSON.parse(bytes.toString('utf8')) as MetadataRecord;
    } catch {
      // Deleted or being replaced between the listing and the read: the next poll sees it.
      return undefined;
    }
    this.#documents.set(location, { etag, record });
    return record;
  }
}
