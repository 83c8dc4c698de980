/**
 * Backfill requests: the CloudEvent `ServerlessImg.BackfillRequested` that `serverless-img
 * backfill` publishes (to the backfill custom topic, subscribed to `processImage`) for each
 * input blob it selects, and how the function routes one. Pure: no I/O.
 *
 * The request names a blob, never a version or a result: the function reads the blob as it is
 * now and makes its results current (see refresh-blob.ts). Nothing in it is trusted: a custom
 * topic's `source` is whatever the publisher wrote, so the function acts only on a blob of the
 * configured account's input container (subject and `data.url` must agree), like BlobCreated.
 */
import { randomUUID } from 'node:crypto';
import { renditionsFingerprint, resolveOptions } from '../lib/options.js';
import { urlInAccount } from './account.js';
import type { ImageSettings } from './config.js';
import {
  BLOB_SUBJECT,
  blobNameOf,
  requiredString,
  type IgnoredRoute,
  type IgnoreReason,
  type RouteRules,
  type StorageEvent,
} from './events.js';

/** The event type, stable: the backfill subscription filters on it. */
export const BACKFILL_REQUESTED = 'ServerlessImg.BackfillRequested';

/** The `source` the CLI writes (informational: the function does not trust it). */
export const BACKFILL_SOURCE = '/serverless-img/backfill';

/** Why the CLI selected a blob (the function's work is the same for every reason). */
export type BackfillReason = 'missing' | 'outdated' | 'failed' | 'dead-lettered';

/** `data` of a backfill request. */
export interface BackfillEventData {
  /** The blob's URL in the images account. */
  url: string;
  reason: BackfillReason;
  /** The eTag the CLI listed (informational: the function reads the blob's own). */
  eTag?: string;
  /** A replayed dead-lettered event: its id. */
  replayOf?: string;
}

/** A backfill request in the CloudEvents 1.0 JSON format. */
export interface BackfillCloudEvent {
  specversion: '1.0';
  id: string;
  type: typeof BACKFILL_REQUESTED;
  source: string;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: BackfillEventData;
}

/** The blob a backfill request is about. */
export interface BackfillTarget {
  container: string;
  name: string;
  url: string;
  reason: BackfillReason;
  eTag?: string;
  replayOf?: string;
}

/** The request for `target`, with the subject Storage events use for the same blob. */
export function backfillEvent(target: BackfillTarget, now: Date = new Date()): BackfillCloudEvent {
  const { container, name, url, reason, eTag, replayOf } = target;
  return {
    specversion: '1.0',
    id: randomUUID(),
    type: BACKFILL_REQUESTED,
    source: BACKFILL_SOURCE,
    subject: `/blobServices/default/containers/${container}/blobs/${name}`,
    time: now.toISOString(),
    datacontenttype: 'application/json',
    data: {
      url,
      reason,
      ...(eTag === undefined ? {} : { eTag }),
      ...(replayOf === undefined ? {} : { replayOf }),
    },
  };
}

/** The blob a trusted backfill request names. */
export interface RefreshFacts {
  container: string;
  blobName: string;
  url: string;
}

/** What to do with a backfill request: refresh the blob's results, or ignore it. */
export type BackfillRoute =
  { action: 'refresh'; event: StorageEvent; blob: RefreshFacts } | IgnoredRoute;

/**
 * Routes a `BackfillRequested` event: refresh when its subject names a blob of the input
 * container and its `data.url` points to that blob in the configured account; ignore anything
 * else with a warning (a backfill of another account or container is a mistake or a forgery).
 * Throws `InvalidEventError` when the subject or the url is missing or malformed.
 */
export function routeBackfill(event: StorageEvent, rules: RouteRules): BackfillRoute {
  const ignore = (reason: IgnoreReason, detail: string) =>
    ({ action: 'ignore', event, reason, detail, level: 'warning' }) as const;
  const url = requiredString(event.data, 'url', 'data.');
  const match = BLOB_SUBJECT.exec(event.subject);
  const container = match?.[1] ?? '';
  if (match === null || container !== rules.inputContainer) {
    const detail = `backfill subject ${JSON.stringify(event.subject)} is not a blob of the input container ${rules.inputContainer}`;
    return ignore('other-container', detail);
  }
  const blobName = blobNameOf(match[2] ?? '', container, url);
  if (!urlInAccount(url, rules.account) || !urlNamesBlob(url, container, blobName)) {
    const detail = `backfill url ${url} is not ${container}/${blobName} in the configured account ${rules.account.name}`;
    return ignore('other-account', detail);
  }
  return { action: 'refresh', event, blob: { container, blobName, url } };
}

/** Whether the (percent-encoded) `url` ends with `/<container>/<name>`. */
function urlNamesBlob(url: string, container: string, name: string): boolean {
  try {
    return decodeURIComponent(new URL(url).pathname).endsWith(`/${container}/${name}`);
  } catch {
    return false;
  }
}

/**
 * The settings fingerprint results made now would record (`settings.fingerprint` of a metadata
 * document): a record with another one is outdated.
 */
export function currentFingerprint(image: ImageSettings): string {
  return renditionsFingerprint(resolveOptions({ ...image, name: 'fingerprint' }));
}
