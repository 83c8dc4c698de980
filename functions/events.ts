/**
 * Storage events in, routing decisions out. Parses `Microsoft.Storage.BlobCreated` and
 * `BlobDeleted` in both the Event Grid schema and the CloudEvents 1.0 schema, and decides
 * whether the pipeline acts on them. Pure: no I/O, so every rule is unit-tested.
 */
import { topicNamesAccount, urlInAccount, type StorageAccount } from './account.js';
import { InvalidEventError } from './errors.js';

/** Event types the pipeline acts on. */
export const BLOB_CREATED = 'Microsoft.Storage.BlobCreated';
export const BLOB_DELETED = 'Microsoft.Storage.BlobDeleted';

/**
 * Write APIs that commit data: block uploads, copies, Data Lake's `FlushWithClose` and SFTP's
 * `SftpCommit`.
 */
export const COMMITTING_APIS: readonly string[] = [
  'PutBlob',
  'PutBlockList',
  'CopyBlob',
  'FlushWithClose',
  'SftpCommit',
];

/**
 * Write APIs known to commit no data yet: Data Lake's `CreateFile` (contentLength 0: the data
 * arrives with the `FlushWithClose` that follows) and SFTP's `SftpCreate`. Ignored quietly;
 * any other API is ignored with a warning that names it.
 */
export const NON_COMMITTING_APIS: readonly string[] = ['CreateFile', 'SftpCreate'];

/** A Storage event, whichever schema it came in. */
export interface StorageEvent {
  schema: 'EventGrid' | 'CloudEvents';
  id: string;
  type: string;
  /** `/blobServices/default/containers/<container>/blobs/<name>` for blob events. */
  subject: string;
  /** The storage account's resource id (`topic` or `source`). */
  source: string;
  time: string | undefined;
  /** The event's `data`, unvalidated until the event is routed. */
  data: Record<string, unknown>;
}

/** The facts of a blob event the handler needs, validated. */
export interface BlobEventFacts {
  container: string;
  /** The blob's name inside its container (decoded; may contain `/`, spaces, unicode). */
  blobName: string;
  api: string;
  url: string;
  /** Opaque; compare as strings to order events on the same blob. */
  sequencer: string;
  eTag: string | undefined;
  contentLength: number | undefined;
  contentType: string | undefined;
  /** `BlockBlob`, `AppendBlob` or `PageBlob`, when the event says. */
  blobType: string | undefined;
}

/** An event the pipeline does not act on, and why. */
export interface IgnoredRoute {
  action: 'ignore';
  event: StorageEvent;
  reason: IgnoreReason;
  detail: string;
  /** `warning` when an operator should hear of it (another account, an unknown API). */
  level: 'debug' | 'warning';
}

/** What to do with an event. */
export type Route =
  | { action: 'process'; event: StorageEvent; blob: BlobEventFacts & { eTag: string } }
  | { action: 'delete'; event: StorageEvent; blob: BlobEventFacts }
  | IgnoredRoute;

/** Why an event was ignored; also the `serverless_img.skip_reason` span attribute. */
export type IgnoreReason = 'event-type' | 'other-account' | 'other-container' | 'api' | 'blob-type';

/** What routing checks an event against. */
export interface RouteRules {
  /** The container whose blobs the pipeline processes. */
  inputContainer: string;
  /** The only account whose events act. */
  account: StorageAccount;
}

/** A blob event's subject: its container and its name. */
export const BLOB_SUBJECT = /^\/blobServices\/default\/containers\/([^/]+)\/blobs\/(.+)$/;

/**
 * Parses one event as delivered to an Event Grid-triggered function, in either schema.
 * Throws `InvalidEventError` when the payload is neither.
 */
export function parseStorageEvent(payload: unknown): StorageEvent {
  const value = typeof payload === 'string' ? parseJson(payload) : payload;
  if (!isRecord(value)) throw new InvalidEventError('the event is not a JSON object');
  if ('specversion' in value) {
    if (value.specversion !== '1.0') {
      throw new InvalidEventError(
        `CloudEvents specversion ${String(value.specversion)} is not 1.0`,
      );
    }
    return {
      schema: 'CloudEvents',
      id: requiredString(value, 'id'),
      type: requiredString(value, 'type'),
      source: requiredString(value, 'source'),
      subject: requiredString(value, 'subject'),
      time: optionalTime(value, 'time'),
      data: requiredData(value),
    };
  }
  if ('eventType' in value) {
    return {
      schema: 'EventGrid',
      id: requiredString(value, 'id'),
      type: requiredString(value, 'eventType'),
      source: requiredString(value, 'topic'),
      subject: requiredString(value, 'subject'),
      time: optionalTime(value, 'eventTime'),
      data: requiredData(value),
    };
  }
  throw new InvalidEventError(
    'neither an Event Grid event (eventType) nor a CloudEvent (specversion)',
  );
}

/**
 * Decides what the pipeline does with an event: process BlobCreated events of committed
 * writes to block blobs in the input container of the configured account, delete results on
 * BlobDeleted there, ignore the rest (other accounts, other containers, so results never
 * re-trigger the pipeline; writes that commit no data; other types).
 */
export function routeEvent(event: StorageEvent, rules: RouteRules): Route {
  const ignore = (reason: IgnoreReason, detail: string, level: 'debug' | 'warning' = 'debug') =>
    ({ action: 'ignore', event, reason, detail, level }) as const;
  if (event.type !== BLOB_CREATED && event.type !== BLOB_DELETED) {
    return ignore('event-type', `event type ${event.type}`);
  }
  const match = BLOB_SUBJECT.exec(event.subject);
  if (match === null) {
    throw new InvalidEventError(`subject ${JSON.stringify(event.subject)} is not a blob subject`);
  }
  const url = requiredString(event.data, 'url', 'data.');
  if (!topicNamesAccount(event.source, rules.account) || !urlInAccount(url, rules.account)) {
    const detail = `source ${event.source} (url ${url}) is not the configured account ${rules.account.name}`;
    return ignore('other-account', detail, 'warning');
  }
  const container = match[1] ?? '';
  if (container !== rules.inputContainer) {
    const detail = `container ${container} is not the input container ${rules.inputContainer}`;
    return ignore('other-container', detail);
  }
  const facts = blobFacts(event, container, match[2] ?? '', url);
  if (event.type === BLOB_DELETED) return { action: 'delete', event, blob: facts };
  if (!COMMITTING_APIS.includes(facts.api)) {
    const known = NON_COMMITTING_APIS.includes(facts.api);
    const detail = known
      ? `api ${facts.api} does not commit data`
      : `api ${facts.api} is not a write the pipeline knows (${COMMITTING_APIS.join(', ')}); ${facts.blobName} was not processed`;
    return ignore('api', detail, known ? 'debug' : 'warning');
  }
  if (facts.blobType !== undefined && facts.blobType !== 'BlockBlob') {
    const detail = `${facts.blobName} is a ${facts.blobType}, not a block blob (append and page blobs raise BlobCreated while still empty); it was not processed`;
    return ignore('blob-type', detail, 'warning');
  }
  if (facts.eTag === undefined) throw new InvalidEventError('data.eTag is missing');
  return { action: 'process', event, blob: { ...facts, eTag: facts.eTag } };
}

function blobFacts(
  event: StorageEvent,
  container: string,
  subjectName: string,
  url: string,
): BlobEventFacts {
  return {
    container,
    blobName: blobNameOf(subjectName, container, url),
    api: requiredString(event.data, 'api', 'data.'),
    url,
    sequencer: requiredString(event.data, 'sequencer', 'data.'),
    eTag: unquoteOptional(optionalString(event.data, 'eTag', 'data.')),
    contentLength: optionalLength(event.data),
    contentType: optionalString(event.data, 'contentType', 'data.'),
    blobType: optionalString(event.data, 'blobType', 'data.'),
  };
}

/**
 * An eTag as Storage events carry it: without the quotes HTTP headers and listings may add.
 */
export function unquoteETag(eTag: string): string {
  return eTag.length >= 2 && eTag.startsWith('"') && eTag.endsWith('"') ? eTag.slice(1, -1) : eTag;
}

/**
 * The blob name from the subject, which carries it as written. Should a publisher have
 * percent-encoded it, the (always encoded) `url` tells: its decoded path must end with the name.
 */
export function blobNameOf(subjectName: string, container: string, url: string): string {
  const path = decodedPath(url);
  if (path === undefined || path.endsWith(`/${container}/${subjectName}`)) return subjectName;
  let decoded: string;
  try {
    decoded = decodeURIComponent(subjectName);
  } catch {
    return subjectName;
  }
  return path.endsWith(`/${container}/${decoded}`) ? decoded : subjectName;
}

function decodedPath(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).pathname);
  } catch {
    return undefined;
  }
}

function unquoteOptional(eTag: string | undefined): string | undefined {
  return eTag === undefined ? undefined : unquoteETag(eTag);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new InvalidEventError('the event is not valid JSON');
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A non-empty string field, or `InvalidEventError` naming it. */
export function requiredString(value: Record<string, unknown>, key: string, prefix = ''): string {
  const field = value[key];
  if (typeof field !== 'string' || field === '') {
    throw new InvalidEventError(`${prefix}${key} is missing or not a string`);
  }
  return field;
}

function optionalString(
  value: Record<string, unknown>,
  key: string,
  prefix = '',
): string | undefined {
  const field = value[key];
  if (field === undefined || field === null) return undefined;
  if (typeof field !== 'string') throw new InvalidEventError(`${prefix}${key} is not a string`);
  return field;
}

function optionalTime(value: Record<string, unknown>, key: string): string | undefined {
  const field = value[key];
  // The Functions host may hand over a Date where the JSON had a string.
  if (field instanceof Date) return field.toISOString();
  return optionalString(value, key);
}

function optionalLength(data: Record<string, unknown>): number | undefined {
  const field = data.contentLength;
  if (field === undefined || field === null) return undefined;
  if (typeof field !== 'number' || !Number.isSafeInteger(field) || field < 0) {
    throw new InvalidEventError('data.contentLength is not a non-negative integer');
  }
  return field;
}

function requiredData(value: Record<string, unknown>): Record<string, unknown> {
  if (!isRecord(value.data)) throw new InvalidEventError('data is missing or not an object');
  return value.data;
}
