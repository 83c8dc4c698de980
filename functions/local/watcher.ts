/**
 * The local runtime's eyes: lists the input container, compares the listing with what it
 * has already turned into events, and raises `BlobCreated` for each new or changed blob
 * (a new eTag) and `BlobDeleted` for each blob gone since the last listing. It keeps one
 * map, the last snapshot of each blob it raised an event for; nothing else is remembered.
 */
import type { ContainerClient } from '@azure/storage-blob';
import {
  blobCreatedEvent,
  blobDeletedEvent,
  sequencerSource,
  type BlobSnapshot,
  type EventGridStorageEvent,
} from './events.js';

/** An event about one blob, as the watcher raises it. */
export interface BlobChange {
  readonly event: EventGridStorageEvent;
  /** The blob the event is about. */
  readonly name: string;
  readonly kind: 'created' | 'deleted';
}

/** A blob as a listing reports it (the eTag may be missing from a listing). */
export type ListedBlob = Omit<BlobSnapshot, 'eTag'> & { eTag: string | undefined };

/** Lists the watched container once, blob by blob. */
export type BlobListing = () => AsyncIterable<ListedBlob>;

/** Options of `BlobWatcher`. */
export interface BlobWatcherOptions {
  list: BlobListing;
  /** The `topic` of the events raised (the storage account's resource id). */
  topic: string;
  /** Called for each event, as soon as the listing shows the change. */
  onChange: (change: BlobChange) => void;
  /** Makes each event's `sequencer`. Default: `sequencerSource()`. */
  nextSequencer?: () => string;
}

/** The listing of a real container, with the properties an event reports. */
export function listBlobs(container: ContainerClient): BlobListing {
  return async function* () {
    for await (const item of container.listBlobsFlat()) {
      yield {
        container: container.containerName,
        name: item.name,
        url: container.getBlobClient(item.name).url,
        eTag: item.properties.etag,
        contentLength: item.properties.contentLength ?? 0,
        contentType: item.properties.contentType,
        blobType: item.properties.blobType,
      };
    }
  };
}

/**
 * Turns listings of one container into storage events. Call `scan()` one at a time: two
 * listings running together could raise the same change twice.
 */
export class BlobWatcher {
  readonly #options: BlobWatcherOptions;
  readonly #nextSequencer: () => string;
  /** The last snapshot raised as an event, by blob name. */
  readonly #seen = new Map<string, BlobSnapshot>();

  constructor(options: BlobWatcherOptions) {
    this.#options = options;
    this.#nextSequencer = options.nextSequencer ?? sequencerSource();
  }

  /** Names of blobs seen in the container, with the eTag last turned into an event. */
  get known(): ReadonlyMap<string, string> {
    return new Map([...this.#seen].map(([name, snapshot]) => [name, snapshot.eTag]));
  }

  /** Lists the container once and raises an event per change. Returns how many. */
  async scan(): Promise<number> {
    const listed = new Set<string>();
    let changes = 0;
    for await (const blob of this.#options.list()) {
      listed.add(blob.name);
      const { eTag } = blob;
      if (eTag === undefined || this.#seen.get(blob.name)?.eTag === eTag) continue;
      const snapshot = { ...blob, eTag };
      this.#seen.set(blob.name, snapshot);
      this.#raise('created', snapshot);
      changes += 1;
    }
    for (const [name, snapshot] of this.#seen) {
      if (listed.has(name)) continue;
      this.#seen.delete(name);
      this.#raise('deleted', snapshot);
      changes += 1;
    }
    return changes;
  }

  #raise(kind: BlobChange['kind'], snapshot: BlobSnapshot): void {
    const { topic } = this.#options;
    const sequencer = this.#nextSequencer();
    const event =
      kind === 'created'
        ? blobCreatedEvent(topic, snapshot, sequencer)
        : blobDeletedEvent(topic, snapshot, sequencer);
    this.#options.onChange({ event, name: snapshot.name, kind });
  }
}
