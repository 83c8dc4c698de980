/**
 * Which input blobs a backfill run selects, in listing order (by name, so `--from` resumes
 * where an interrupted run stopped). Each blob's state is read from its metadata document, the
 * same one the function writes last: its link (source eTag) for the default selection, its
 * content (status, error code, settings fingerprint) for `--outdated` and `--failed`.
 */
import type { ContainerClient } from '@azure/storage-blob';
import type { MetadataRecord } from '../../lib/types.js';
import type { BackfillReason } from '../backfill-event.js';
import { unquoteETag } from '../events.js';
import type { ResultStore } from '../result-store.js';
import { sameSource } from '../results.js';
import type { SelectionMode } from './args.js';

/** A blob selected, and why. */
export interface Candidate {
  name: string;
  /** The eTag listed (informational in the request). */
  eTag?: string;
  reason: BackfillReason;
  /** A replayed dead-lettered event: its id. */
  replayOf?: string;
}

/** The name filters of a run. */
export interface NameFilter {
  prefix: string | undefined;
  from: string | undefined;
}

/** Whether `name` passes `filter`. */
export function passes(name: string, filter: NameFilter): boolean {
  return (
    (filter.prefix === undefined || name.startsWith(filter.prefix)) &&
    (filter.from === undefined || name >= filter.from)
  );
}

/** What a selection reads. */
export interface SelectionSources {
  input: ContainerClient;
  results: Pick<ResultStore, 'completedVersion' | 'readRecord'>;
  /** The settings fingerprint results made now would record. */
  fingerprint: string;
  /** Called for each input blob listed (past the filter), selected or not. */
  onListed?: () => void;
}

/** The input blobs `mode` selects (not `dead-lettered`: see dead-letters.ts). */
export async function* selectInputs(
  mode: Exclude<SelectionMode, { kind: 'dead-lettered' }>,
  filter: NameFilter,
  sources: SelectionSources,
): AsyncGenerator<Candidate> {
  for await (const blob of sources.input.listBlobsFlat({ prefix: filter.prefix })) {
    if (!passes(blob.name, filter)) continue;
    sources.onListed?.();
    const eTag = unquoteETag(blob.properties.etag ?? '');
    const reason = await selected(mode, blob.name, eTag, sources);
    if (reason !== undefined) yield { name: blob.name, eTag, reason };
  }
}

async function selected(
  mode: Exclude<SelectionMode, { kind: 'dead-lettered' }>,
  name: string,
  eTag: string,
  sources: SelectionSources,
): Promise<BackfillReason | undefined> {
  if (mode.kind === 'missing') {
    const done = await sources.results.completedVersion(name);
    const current = done !== undefined && sameSource(done, name) && done.eTag === eTag;
    return current ? undefined : 'missing';
  }
  const record = await sources.results.readRecord(name);
  if (record === undefined) return undefined;
  if (mode.kind === 'failed') return isFailure(record, mode.code) ? 'failed' : undefined;
  return record.status === 'succeeded' && fingerprintOf(record) !== sources.fingerprint
    ? 'outdated'
    : undefined;
}

function isFailure(record: MetadataRecord, code: string | undefined): boolean {
  return record.status === 'failed' && (code === undefined || record.error.code === code);
}

/** The record's settings fingerprint; none in a record from before fingerprints (outdated). */
function fingerprintOf(record: MetadataRecord): string | undefined {
  return (record as { settings?: { fingerprint?: string } }).settings?.fingerprint;
}
