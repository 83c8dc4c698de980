/**
 * The handler's publishing steps: once a metadata document is written (or found written by an
 * earlier delivery), or results are deleted, the completion event goes out. A publish that
 * fails fails the invocation: Event Grid retries, and the retry finds the results done and
 * only publishes, under the same event id.
 */
import type { MetadataRecord } from '../lib/types.js';
import { metadataLocation } from './blob-names.js';
import {
  deletedEvent,
  NO_COMPLETION_EVENTS,
  recordEvent,
  type CompletionEvent,
} from './completion-events.js';
import type { Invocation } from './invocation.js';

/** Publishes `ImageProcessed` or `ImageFailed` for the metadata document `record`. */
export async function publishRecord(inv: Invocation, record: MetadataRecord): Promise<void> {
  if (inv.deps.events === NO_COMPLETION_EVENTS) return;
  const { containers } = inv.deps.config;
  const event = recordEvent(record, {
    inputContainer: containers.input,
    metadataContainer: containers.metadata,
    metadataName: metadataLocation(record.source.name),
    url: (container, name) => inv.deps.results.urlOf(container, name),
  });
  await publish(inv, event);
}

/**
 * A duplicate delivery of a version whose results exist: publishes their event again (the
 * first delivery's publish may have failed), from the metadata document as stored.
 */
export async function publishStoredRecord(inv: Invocation, name: string, eTag: string) {
  if (inv.deps.events === NO_COMPLETION_EVENTS) return;
  const record = await inv.deps.results.readRecord(name);
  // Replaced since its properties were read: the newer version's delivery publishes its own.
  if (record?.source.eTag !== eTag) return;
  await publishRecord(inv, record);
}

/** Publishes `ResultsDeleted` for the deleted version `sequencer` of `name`. */
export async function publishDeleted(
  inv: Invocation,
  name: string,
  sequencer: string,
  removed: readonly string[],
): Promise<void> {
  if (inv.deps.events === NO_COMPLETION_EVENTS) return;
  const url = (container: string, blob: string) => inv.deps.results.urlOf(container, blob);
  const event = deletedEvent(name, sequencer, removed, {
    inputContainer: inv.deps.config.containers.input,
    url,
  });
  await publish(inv, event);
}

function publish(inv: Invocation, event: CompletionEvent): Promise<void> {
  const attributes = { 'cloudevents.event_type': event.type, 'cloudevents.event_id': event.id };
  return inv.step('publish event', attributes, () => inv.deps.events.publish(event));
}
