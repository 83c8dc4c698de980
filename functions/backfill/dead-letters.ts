/**
 * `--dead-lettered`: the events Event Grid gave up on, read from the dead-letter container
 * (`<SUBSCRIPTION>/<y>/<m>/<d>/<h>/<id>.json`, each a JSON array of events with the delivery
 * facts added; the local runtime writes the same, see functions/local/dead-letter.ts). An entry
 * may also be `{ "event": …, "deadLetterProperties": … }`: both are read.
 *
 * Each event is replayed as a backfill request for the blob it names (a BlobCreated and a
 * BlobDeleted alike: the function makes the blob's results match the blob as it is now). A
 * dead-letter blob is removed once every blob it names is processed: the metadata document of
 * the blob's current version exists, or, for a blob that is gone, no metadata document does.
 */
import type { ContainerClient } from '@azure/storage-blob';
import { BLOB_SUBJECT, blobNameOf, parseStorageEvent, type StorageEvent } from '../events.js';
import type { InputBlobs } from '../input-blobs.js';
import type { ResultStore } from '../result-store.js';
import { sameSource } from '../results.js';
import { passes, type Candidate, type NameFilter } from './selection.js';

/** One dead-letter blob and the input blobs its events name. */
export interface DeadLetterRecord {
  path: string;
  /** The blob's eTag when read: it is removed only if unchanged since. */
  eTag: string | undefined;
  names: string[];
  events: Candidate[];
}

/** Dead-letter blobs not replayed: unreadable, or about no blob of the input container. */
export interface UnreplayedRecord {
  path: string;
  why: string;
}

/** Reads every dead-letter record whose events name input blobs that pass `filter`. */
export async function* deadLetterRecords(
  deadletter: ContainerClient,
  inputContainer: string,
  filter: NameFilter,
  onUnreplayed: (record: UnreplayedRecord) => void,
): AsyncGenerator<DeadLetterRecord> {
  for await (const blob of deadletter.listBlobsFlat()) {
    const client = deadletter.getBlobClient(blob.name);
    let events: Candidate[];
    try {
      const text = (await client.downloadToBuffer()).toString('utf8');
      events = replayedEvents(JSON.parse(text) as unknown, inputContainer);
    } catch (error) {
      onUnreplayed({
        path: blob.name,
        why: error instanceof Error ? error.message : String(error),
      });
      continue;
    }
    if (events.length === 0) {
      onUnreplayed({ path: blob.name, why: `no event about a blob of ${inputContainer}` });
      continue;
    }
    if (!events.every((event) => passes(event.name, filter))) continue;
    const names = [...new Set(events.map((event) => event.name))];
    yield { path: blob.name, eTag: blob.properties.etag, names, events };
  }
}

/** The events of one record that name a blob of the input container, as requests. */
function replayedEvents(body: unknown, inputContainer: string): Candidate[] {
  const entries = Array.isArray(body) ? (body as unknown[]) : [body];
  return entries.flatMap((entry) => {
    const wrapped = (entry as { event?: unknown } | null)?.event;
    const event = parseStorageEvent(wrapped ?? entry);
    const name = inputBlobName(event, inputContainer);
    return name === undefined
      ? []
      : [{ name, reason: 'dead-lettered' as const, replayOf: event.id }];
  });
}

function inputBlobName(event: StorageEvent, inputContainer: string): string | undefined {
  const match = BLOB_SUBJECT.exec(event.subject);
  if (match === null || match[1] !== inputContainer) return undefined;
  const url = typeof event.data.url === 'string' ? event.data.url : '';
  return blobNameOf(match[2] ?? '', inputContainer, url);
}

/** What `removeProcessed` reads. */
export interface ProcessedCheck {
  inputs: Pick<InputBlobs, 'current'>;
  results: Pick<ResultStore, 'completedVersion'>;
}

/** Whether the results of `name` match the blob as it is now. */
export async function processed(name: string, check: ProcessedCheck): Promise<boolean> {
  const current = await check.inputs.current(name);
  const done = await check.results.completedVersion(name);
  const linked = done !== undefined && sameSource(done, name);
  return current === undefined ? !linked : linked && done.eTag === current.eTag;
}

/**
 * Removes each record once every blob it names is processed, checking every `pollMs` until
 * `deadline` (a `performance.now()` time) or `signal`. Returns the paths removed and kept.
 */
export async function removeProcessed(
  deadletter: ContainerClient,
  records: readonly DeadLetterRecord[],
  check: ProcessedCheck,
  wait: { deadline: number; pollMs: number; signal?: AbortSignal | undefined },
): Promise<{ removed: string[]; kept: string[] }> {
  const removed: string[] = [];
  let pending = [...records];
  while (pending.length > 0) {
    const still: DeadLetterRecord[] = [];
    for (const record of pending) {
      const done = await everyProcessed(record.names, check);
      if (!done) still.push(record);
      else {
        const conditions = record.eTag === undefined ? {} : { ifMatch: record.eTag };
        await deadletter.getBlobClient(record.path).deleteIfExists({ conditions });
        removed.push(record.path);
      }
    }
    pending = still;
    if (pending.length === 0 || performance.now() >= wait.deadline || wait.signal?.aborted) break;
    await new Promise((resolve) => setTimeout(resolve, wait.pollMs));
  }
  return { removed, kept: pending.map((record) => record.path) };
}

async function everyProcessed(names: readonly string[], check: ProcessedCheck): Promise<boolean> {
  for (const name of names) if (!(await processed(name, check))) return false;
  return true;
}
