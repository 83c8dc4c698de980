/**
 * Builds Storage events in the exact Event Grid schema from a blob's real properties, as
 * Azure would send them, for the local runtime (which stands in for Event Grid).
 */
import { randomUUID } from 'node:crypto';
import { BLOB_CREATED, BLOB_DELETED, unquoteETag } from '../events.js';

/** A Storage event in the Event Grid schema. */
export interface EventGridStorageEvent {
  topic: string;
  subject: string;
  eventType: string;
  eventTime: string;
  id: string;
  data: Record<string, unknown>;
  dataVersion: string;
  metadataVersion: '1';
}

/** A CloudEvent as a custom topic with the CloudEvents schema delivers it (a backfill request). */
export interface CloudEventEnvelope {
  specversion: '1.0';
  id: string;
  type: string;
  source: string;
  subject: string;
  time?: string;
  data: Record<string, unknown>;
}

/** An event the local Event Grid delivers: a Storage event, or a CloudEvent posted to its topic. */
export type DeliveredEvent = EventGridStorageEvent | CloudEventEnvelope;

/** Whether `event` is a CloudEvent (delivered alone, as `application/cloudevents+json`). */
export function isCloudEvent(event: DeliveredEvent): event is CloudEventEnvelope {
  return 'specversion' in event;
}

/** The properties of a blob an event reports. */
export interface BlobSnapshot {
  container: string;
  name: string;
  /** The blob's URL (percent-encoded, as the SDK builds it). */
  url: string;
  eTag: string;
  contentLength: number;
  contentType: string | undefined;
  blobType: string | undefined;
}

/**
 * Makes increasing sequencers: 32 uppercase hex digits, like Azure's, from the clock and a
 * counter, so they keep increasing across restarts of the local runtime (results on disk
 * carry the sequencer of the event that made them).
 */
export function sequencerSource(): () => string {
  let last = 0n;
  return () => {
    const now = BigInt(Date.now()) << 20n;
    last = now > last ? now : last + 1n;
    return last.toString(16).toUpperCase().padStart(32, '0');
  };
}

/** The `topic` of events from the account `account` (a made-up subscription and group). */
export function localTopic(account: string): string {
  return `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local/providers/Microsoft.Storage/storageAccounts/${account}`;
}

/** The envelope and data fields every Storage event carries, around the event's own data. */
function storageEvent(
  topic: string,
  eventType: string,
  blob: Pick<BlobSnapshot, 'container' | 'name' | 'url' | 'contentType' | 'blobType'>,
  sequencer: string,
  data: Record<string, unknown>,
): EventGridStorageEvent {
  return {
    topic,
    subject: `/blobServices/default/containers/${blob.container}/blobs/${blob.name}`,
    eventType,
    eventTime: new Date().toISOString(),
    id: randomUUID(),
    data: {
      ...data,
      contentType: blob.contentType ?? 'application/octet-stream',
      blobType: blob.blobType ?? 'BlockBlob',
      url: blob.url,
      sequencer,
      storageDiagnostics: { batchId: randomUUID() },
    },
    dataVersion: '',
    metadataVersion: '1',
  };
}

/** The request that made a change, as an event reports it. */
export interface ChangeRequest {
  /** The storage operation: `PutBlob`, `PutBlockList`, `CopyBlob`, `DeleteBlob`. */
  api: string;
  /** The client's `x-ms-client-request-id`. Default: a new id. */
  clientRequestId?: string;
  /** Storage's `x-ms-request-id`. Default: a new id. */
  requestId?: string;
}

/**
 * A `Microsoft.Storage.BlobCreated` event for `blob`, as Azure shapes it for the request that
 * committed it (`PutBlob` when not told: a listing cannot tell which write it was).
 */
export function blobCreatedEvent(
  topic: string,
  blob: BlobSnapshot,
  sequencer: string,
  request: ChangeRequest = { api: 'PutBlob' },
): EventGridStorageEvent {
  return storageEvent(topic, BLOB_CREATED, blob, sequencer, {
    api: request.api,
    clientRequestId: request.clientRequestId ?? randomUUID(),
    requestId: request.requestId ?? randomUUID(),
    // Azure's events carry the eTag without quotes.
    eTag: unquoteETag(blob.eTag),
    contentLength: blob.contentLength,
  });
}

/** A `Microsoft.Storage.BlobDeleted` event for `blob` (no eTag or length, as in Azure). */
export function blobDeletedEvent(
  topic: string,
  blob: Pick<BlobSnapshot, 'container' | 'name' | 'url' | 'contentType' | 'blobType'>,
  sequencer: string,
  request: Pick<ChangeRequest, 'requestId'> = {},
): EventGridStorageEvent {
  return storageEvent(topic, BLOB_DELETED, blob, sequencer, {
    api: 'DeleteBlob',
    requestId: request.requestId ?? randomUUID(),
  });
}
