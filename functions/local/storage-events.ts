/**
 * Blob events raised as Azure Storage raises them: from the requests storage accepted, seen by
 * the recording proxy in front of Azurite (`load/proxy.ts`). Only data commits raise
 * `BlobCreated` (`PutBlob`, `PutBlockList`, `CopyBlob`), with the eTag storage answered and
 * the `api` of that commit; a successful `DeleteBlob` raises `BlobDeleted`. Set Blob Metadata,
 * Set Blob Properties, tiers, leases, blocks not yet committed raise nothing, exactly as in
 * Azure, so an upload re-tagged before it is processed reaches the handler with a stale eTag
 * here too. The event subscription's filter (bicep/subscription.bicep) is applied before an
 * event is handed on.
 */
import type { BlobServiceClient } from '@azure/storage-blob';
import { unquoteETag } from '../events.js';
import {
  blobCreatedEvent,
  blobDeletedEvent,
  localTopic,
  sequencerSource,
  type BlobSnapshot,
} from './events.js';
import type { ProxiedRequest, ProxyObserver, StorageAnswer } from './load/proxy.js';
import type { BlobChange } from './watcher.js';

/** A write or delete storage accepted that Azure turns into an event. */
export interface StorageCommit {
  kind: BlobChange['kind'];
  api: 'PutBlob' | 'PutBlockList' | 'CopyBlob' | 'DeleteBlob';
  account: string;
  container: string;
  /** The blob name, decoded. */
  name: string;
  /** The blob's path as the client sent it (percent-encoded), for the event's `url`. */
  path: string;
  /** Unquoted; undefined for a delete. */
  eTag: string | undefined;
  blobType: string;
  /** Known from the request for `PutBlob`; otherwise read from storage. */
  contentLength: number | undefined;
  contentType: string | undefined;
  clientRequestId: string | undefined;
  requestId: string | undefined;
}

/** A blob's properties as of one version: what an event reports of it. */
export type CommittedProperties = Pick<BlobSnapshot, 'contentLength' | 'contentType' | 'blobType'>;

/** Reads the properties of version `eTag` of a blob; undefined when it is gone or changed. */
export type PropertiesReader = (
  container: string,
  name: string,
  eTag: string,
) => Promise<CommittedProperties | undefined>;

function header(request: ProxiedRequest | StorageAnswer, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function numberHeader(request: ProxiedRequest, name: string): number | undefined {
  const value = Number(header(request, name));
  return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/** Which data commit a successful `PUT` on a blob was, by Azure's rules (undefined: none). */
function committingPut(
  request: ProxiedRequest,
  answer: StorageAnswer,
): Pick<StorageCommit, 'api' | 'blobType' | 'contentLength' | 'contentType'> | undefined {
  const comp = request.query.get('comp');
  const contentType = header(request, 'x-ms-blob-content-type');
  if (comp === 'blocklist') {
    return { api: 'PutBlockList', blobType: 'BlockBlob', contentLength: undefined, contentType };
  }
  if (comp !== null) return undefined;
  if (header(request, 'x-ms-copy-source') !== undefined) {
    // An asynchronous copy raises its event when it completes, which the proxy cannot see;
    // Azurite copies within an account at once ("success").
    const copyStatus = header(answer, 'x-ms-copy-status');
    if (copyStatus !== undefined && copyStatus !== 'success') return undefined;
    return { api: 'CopyBlob', blobType: 'BlockBlob', contentLength: undefined, contentType };
  }
  const blobType = header(request, 'x-ms-blob-type');
  if (blobType === undefined) return undefined;
  const contentLength =
    blobType === 'BlockBlob'
      ? numberHeader(request, 'content-length')
      : blobType === 'PageBlob'
        ? numberHeader(request, 'x-ms-blob-content-length')
        : 0;
  return {
    api: 'PutBlob',
    blobType,
    contentLength,
    contentType: contentType ?? header(request, 'content-type'),
  };
}

/**
 * The commit or delete a request was, when storage accepted it and Azure would raise an
 * event for it; undefined for every other request (reads, metadata and property changes,
 * blocks, leases, snapshots, container operations, failures).
 */
export function storageCommitOf(
  request: ProxiedRequest,
  answer: StorageAnswer,
): StorageCommit | undefined {
  const { account, container, blob } = request;
  if (answer.status < 200 || answer.status >= 300) return undefined;
  if (account === undefined || container === undefined || blob === undefined) return undefined;
  if (request.query.has('restype') || request.query.has('snapshot')) return undefined;
  if (request.query.has('versionid')) return undefined;
  const ids = {
    clientRequestId: header(request, 'x-ms-client-request-id'),
    requestId: header(answer, 'x-ms-request-id'),
  };
  const where = { account, container, name: blob, path: request.path };
  if (request.method === 'DELETE' && !request.query.has('comp')) {
    return {
      kind: 'deleted',
      api: 'DeleteBlob',
      ...where,
      ...ids,
      eTag: undefined,
      blobType: 'BlockBlob',
      contentLength: undefined,
      contentType: undefined,
    };
  }
  if (request.method !== 'PUT') return undefined;
  const commit = committingPut(request, answer);
  const eTag = header(answer, 'etag');
  if (commit === undefined || eTag === undefined) return undefined;
  return { kind: 'created', ...commit, ...where, ...ids, eTag: unquoteETag(eTag) };
}

/**
 * Whether the event subscription delivers events about `container`: its filter is
 * `subjectBeginsWith: /blobServices/default/containers/<input>/blobs/`, not case-sensitive,
 * for BlobCreated and BlobDeleted (bicep/subscription.bicep).
 */
export function subscriptionMatches(inputContainer: string, container: string): boolean {
  return container.toLowerCase() === inputContainer.toLowerCase();
}

/** The properties of version `eTag`, read straight from storage (not through the proxy). */
export function blobPropertiesReader(service: BlobServiceClient): PropertiesReader {
  return async (container, name, eTag) => {
    try {
      const properties = await service
        .getContainerClient(container)
        .getBlobClient(name)
        .getProperties({ conditions: { ifMatch: `"${eTag}"` } });
      return {
        contentLength: properties.contentLength ?? 0,
        contentType: properties.contentType,
        blobType: properties.blobType,
      };
    } catch {
      // Overwritten or deleted since: that version's facts are gone with it.
      return undefined;
    }
  };
}

/** Options of `StorageEventSource`. */
export interface StorageEventSourceOptions {
  /** The container the event subscription is about (its subject filter). */
  inputContainer: string;
  /** The blob endpoint clients talk to (`http://127.0.0.1:10000`): events' `url`s point there. */
  endpoint: string;
  /** Reads the facts a request does not carry (the length of a block list or a copy). */
  properties: PropertiesReader;
  /** Called with each event the subscription delivers, while started. */
  onEvent: (change: BlobChange) => void;
  /** Makes each event's `sequencer`. Default: `sequencerSource()`. */
  nextSequencer?: () => string;
}

/**
 * Turns the commits a recording proxy sees into the events the subscription delivers. Pass
 * `observer` to the proxy's `observe()`; nothing is raised before `start()` or after `stop()`.
 */
export class StorageEventSource {
  readonly #options: StorageEventSourceOptions;
  readonly #nextSequencer: () => string;
  readonly #raising = new Set<Promise<void>>();
  #started = false;

  constructor(options: StorageEventSourceOptions) {
    this.#options = options;
    this.#nextSequencer = options.nextSequencer ?? sequencerSource();
  }

  /** The proxy observer that raises the events. */
  readonly observer: ProxyObserver = (request, answer) => {
    if (!this.#started) return;
    const commit = storageCommitOf(request, answer);
    if (commit === undefined) return;
    if (!subscriptionMatches(this.#options.inputContainer, commit.container)) return;
    // Numbered in commit order, at once; the event follows when its facts are read.
    const sequencer = this.#nextSequencer();
    const raising = this.#raise(commit, sequencer);
    this.#raising.add(raising);
    void raising.finally(() => this.#raising.delete(raising));
  };

  /** Raises events from now on. */
  start(): void {
    this.#started = true;
  }

  /** Raises no more events (those whose facts are being read still follow). */
  stop(): void {
    this.#started = false;
  }

  /** Resolves when every commit seen so far has been raised as an event. */
  async settled(): Promise<void> {
    while (this.#raising.size > 0) await Promise.all(this.#raising);
  }

  async #raise(commit: StorageCommit, sequencer: string): Promise<void> {
    const { endpoint, onEvent } = this.#options;
    const topic = localTopic(commit.account);
    const blob = {
      container: commit.container,
      name: commit.name,
      url: `${endpoint}${commit.path}`,
      contentType: commit.contentType,
      blobType: commit.blobType,
    };
    if (commit.kind === 'deleted' || commit.eTag === undefined) {
      const event = blobDeletedEvent(topic, blob, sequencer, commit);
      onEvent({ event, name: commit.name, kind: 'deleted' });
      return;
    }
    const facts = await this.#facts(commit, commit.eTag);
    const snapshot: BlobSnapshot = { ...blob, ...facts, eTag: commit.eTag };
    const event = blobCreatedEvent(topic, snapshot, sequencer, commit);
    onEvent({ event, name: commit.name, kind: 'created' });
  }

  /** Length, type and blob type of the version committed, as storage has them. */
  async #facts(commit: StorageCommit, eTag: string): Promise<CommittedProperties> {
    const known = commit.api === 'PutBlob' && commit.contentLength !== undefined;
    const read = known
      ? undefined
      : await this.#options.properties(commit.container, commit.name, eTag);
    return {
      contentLength: read?.contentLength ?? commit.contentLength ?? 0,
      contentType: read?.contentType ?? commit.contentType,
      blobType: read?.blobType ?? commit.blobType,
    };
  }
}
