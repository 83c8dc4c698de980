/**
 * The handler's work for a backfill request: make one input blob's results current, with the
 * blob as it is now and the settings as they are now.
 *
 * - The blob exists: its current version is processed as a BlobCreated for it would be, except
 *   that results of that same version are replaced when they are a failure record or were made
 *   under other settings (another `settings.fingerprint`); complete, current results are a
 *   duplicate (skipped, their completion event published again).
 * - The blob is gone: its results are removed, as a BlobDeleted would (a replayed dead-lettered
 *   BlobDeleted comes here).
 *
 * The version gets the sequencer of the results there now (or none): equal to theirs, so it
 * replaces them, and below any later event's, so it never holds back a newer upload.
 */
import { unsafeNameDetail } from './blob-names.js';
import { currentFingerprint, type RefreshFacts } from './backfill-event.js';
import type { CurrentBlob } from './input-blobs.js';
import type { Invocation } from './invocation.js';
import type { Outcome } from './outcome.js';
import type { CreatedBlob } from './process-blob.js';
import { publishDeleted } from './publish-events.js';
import { sameSource } from './results.js';

/** Runs a version through the handler's usual steps (one run per name, then processing). */
export type ProcessVersion = (blob: CreatedBlob) => Promise<Outcome>;

/** Refreshes the results of `facts.blobName`; `processVersion` processes a version. */
export async function refreshBlob(
  inv: Invocation,
  facts: RefreshFacts,
  processVersion: ProcessVersion,
): Promise<Outcome> {
  const name = facts.blobName;
  const unsafe = unsafeNameDetail(name);
  if (unsafe !== undefined) {
    // Such a name is never used as a path (see blob-names.ts): its upload's own event records it.
    const detail = `${name} cannot be read by name (${unsafe}); it was not refreshed`;
    inv.context.warn(`Ignored backfill request: ${detail}.`);
    return inv.skip(undefined, 'other-container', detail);
  }
  const current = await inv.deps.inputs.current(name);
  const done = await inv.deps.results.completedVersion(name);
  const sequencer = done !== undefined && sameSource(done, name) ? (done.sequencer ?? '') : '';
  if (current === undefined) return removeResultsOfGone(inv, name, sequencer);
  if (current.blobType !== undefined && current.blobType !== 'BlockBlob') {
    const detail = `${name} is a ${current.blobType}, not a block blob; it was not processed`;
    inv.context.warn(`Ignored backfill request: ${detail}.`);
    return inv.skip(undefined, 'blob-type', detail);
  }
  const replaces = await replacedVersion(inv, name, current);
  if (replaces !== undefined) inv.context.log(`Remaking the results of ${name} (${replaces}).`);
  return processVersion({
    container: facts.container,
    blobName: name,
    api: 'Backfill',
    url: facts.url,
    sequencer,
    eTag: current.eTag,
    contentLength: current.contentLength,
    contentType: current.contentType,
    blobType: current.blobType,
    ...(replaces === undefined ? {} : { replaces: current.eTag }),
  });
}

/**
 * Why the current version's results are to be replaced: they are a failure record, or were
 * made under other settings. Undefined when there are none of this version, or they are current.
 */
async function replacedVersion(
  inv: Invocation,
  name: string,
  current: CurrentBlob,
): Promise<string | undefined> {
  const record = await inv.deps.results.readRecord(name);
  if (record === undefined || record.source.eTag !== current.eTag) return undefined;
  if (record.status === 'failed') return `failed with ${record.error.code}`;
  const fingerprint = currentFingerprint(inv.deps.config.image);
  // A record from before fingerprints (schema 1) has none: outdated too.
  const made = (record.settings as { fingerprint?: string } | undefined)?.fingerprint;
  return made === fingerprint ? undefined : `settings ${made ?? 'unrecorded'}, now ${fingerprint}`;
}

/** The input is gone: its results go too (a BlobDeleted's work, for a replayed one). */
async function removeResultsOfGone(
  inv: Invocation,
  name: string,
  sequencer: string,
): Promise<Outcome> {
  inv.span.rename('delete results');
  const removed = await inv.deps.results.remove(name, {});
  inv.context.log(`${name} is gone: deleted ${removed.length} result(s).`);
  if (removed.length > 0) await publishDeleted(inv, name, sequencer, removed);
  return { status: 'deleted', name, removed, ms: inv.elapsed() };
}
