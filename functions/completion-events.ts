/**
 * Completion events: what the function tells the apps downstream once an input's results are
 * complete (`ImageProcessed`), its failure record is written (`ImageFailed`) or its results are
 * gone (`ResultsDeleted`). CloudEvents 1.0, built from the metadata document itself, so the
 * first delivery and every duplicate publish the same event under the same id, and a consumer
 * can de-duplicate on it. Their shapes: schemas/events/*.schema.json.
 */
import { createHash } from 'node:crypto';
import type { MetadataRecord, SuccessRecord } from '../lib/types.js';

/** The event types, stable: subscriptions filter on them. */
export const COMPLETION_EVENT_TYPES = Object.freeze({
  processed: 'ServerlessImg.ImageProcessed',
  failed: 'ServerlessImg.ImageFailed',
  deleted: 'ServerlessImg.ResultsDeleted',
} as const);

export type CompletionEventType =
  (typeof COMPLETION_EVENT_TYPES)[keyof typeof COMPLETION_EVENT_TYPES];

/** One rendition of an input, where a consumer can read it. */
export interface RenditionLink {
  container: string;
  name: string;
  url: string;
  width: number;
  height: number;
  bytes: number;
}

/** `data` of `ImageProcessed` and `ImageFailed`. */
export interface ImageEventData {
  name: string;
  eTag: string;
  /** The input's size in bytes. */
  size: number;
  /** The input's format, detected from its bytes; absent when unknown. */
  format?: string;
  /** Every rendition written (none for a failure). */
  renditions: RenditionLink[];
  metadataUrl: string;
  /** `ImageFailed` only: the failure record's error code and message. */
  errorCode?: string;
  message?: string;
}

/** `data` of `ResultsDeleted`. */
export interface DeletedEventData {
  name: string;
  /** The BlobDeleted event's sequencer: the version deleted (a deleted blob has no eTag). */
  sequencer: string;
  /** The results this delivery removed (a redelivery finds them gone and lists fewer). */
  removed: { container: string; name: string; url: string }[];
}

/** A CloudEvents 1.0 event, as published (JSON structured mode). */
export interface CompletionEvent<Data = ImageEventData | DeletedEventData> {
  specversion: '1.0';
  id: string;
  type: CompletionEventType;
  /** The input container's URL: where the subjects live. */
  source: string;
  /** The input blob's name. */
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: Data;
}

/** Publishes completion events; the handler's port (Event Grid in Azure, a webhook locally). */
export interface CompletionPublisher {
  /** Resolves once the event is accepted; rejects (an `EventPublishError`) when it was not. */
  publish(event: CompletionEvent): Promise<void>;
}

/** No topic configured: no events, no error. */
export const NO_COMPLETION_EVENTS: CompletionPublisher = Object.freeze({
  publish: () => Promise.resolve(),
});

/** Where results are: the URL of a blob in a container of the images account. */
export type BlobUrl = (container: string, name: string) => string;

/** What an event needs besides the record: the input container and how to address blobs. */
export interface EventContext {
  inputContainer: string;
  metadataContainer: string;
  /** The metadata document's name in its container (`<name>.json`, or a refused-name record). */
  metadataName: string;
  url: BlobUrl;
}

/**
 * The event id: a UUID-shaped hash of the name, the version and the type, so a duplicate
 * delivery publishes the id the first one did.
 */
export function completionEventId(name: string, version: string, type: string): string {
  const hex = createHash('sha256').update(`${type}\n${name}\n${version}`, 'utf8').digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** `ImageProcessed` or `ImageFailed`, from the metadata document the results carry. */
export function recordEvent(record: MetadataRecord, context: EventContext): CompletionEvent {
  const { source } = record;
  const eTag = source.eTag ?? '';
  const data: ImageEventData = {
    name: source.name,
    eTag,
    size: source.bytes,
    ...(source.format === undefined ? {} : { format: source.format }),
    renditions: record.status === 'succeeded' ? renditionLinks(record, context.url) : [],
    metadataUrl: context.url(context.metadataContainer, context.metadataName),
    ...failureData(record),
  };
  const type =
    record.status === 'succeeded'
      ? COMPLETION_EVENT_TYPES.processed
      : COMPLETION_EVENT_TYPES.failed;
  return envelope(type, source.name, versionOf(record), context, record.processedAt, data);
}

/**
 * What the id of a record's event is keyed on: the source's eTag and, for results, the settings
 * fingerprint, so results remade under other settings (`backfill --outdated`) are news to a
 * consumer that de-duplicates on `id`, while a redelivery still publishes the same id.
 */
export function recordVersion(eTag: string, fingerprint: string | undefined): string {
  return fingerprint === undefined ? eTag : `${eTag}\n${fingerprint}`;
}

function versionOf(record: MetadataRecord): string {
  const fingerprint = record.status === 'succeeded' ? record.settings?.fingerprint : undefined;
  return recordVersion(record.source.eTag ?? '', fingerprint);
}

/** `ResultsDeleted` for the version `sequencer` of `name`. */
export function deletedEvent(
  name: string,
  sequencer: string,
  removed: readonly string[],
  context: Pick<EventContext, 'inputContainer' | 'url'>,
): CompletionEvent {
  const data: DeletedEventData = {
    name,
    sequencer,
    removed: removed.map((id) => {
      const slash = id.indexOf('/');
      const container = id.slice(0, slash);
      const blob = id.slice(slash + 1);
      return { container, name: blob, url: context.url(container, blob) };
    }),
  };
  const time = new Date().toISOString();
  return envelope(COMPLETION_EVENT_TYPES.deleted, name, sequencer, context, time, data);
}

function renditionLinks(record: SuccessRecord, url: BlobUrl): RenditionLink[] {
  return record.renditions.map(({ container, name, width, height, bytes }) => ({
    container,
    name,
    url: url(container, name),
    width,
    height,
    bytes,
  }));
}

function failureData(record: MetadataRecord): Partial<ImageEventData> {
  if (record.status !== 'failed') return {};
  const { error } = record;
  return { errorCode: error.code, message: error.message };
}

function envelope<Data>(
  type: CompletionEventType,
  name: string,
  version: string,
  context: Pick<EventContext, 'inputContainer' | 'url'>,
  time: string,
  data: Data,
): CompletionEvent<Data> {
  return {
    specversion: '1.0',
    id: completionEventId(name, version, type),
    type,
    source: containerUrl(context),
    subject: name,
    time,
    datacontenttype: 'application/json',
    data,
  };
}

/** The input container's URL (the blob URL of an empty name, without its trailing slash). */
function containerUrl(context: Pick<EventContext, 'inputContainer' | 'url'>): string {
  return context.url(context.inputContainer, '').replace(/\/+$/, '');
}
