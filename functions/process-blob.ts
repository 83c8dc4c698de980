/**
 * The Event Grid handler: one Storage event in, the results of one blob out.
 *
 * parse → route (type, account, container, api, blob type) → one run per name at a time →
 * skip if already done → refuse unread (a name results cannot have, over the byte cap) →
 * admit within the response window (or refuse at once, to be retried) → download
 * (eTag-conditional, bounded; a changed blob is read as it is now) → run the core (worker
 * threads, memory budget, time limit) → write output, thumbnail, then metadata last → tidy.
 *
 * Bad images are permanent failures: a failure record is written and the invocation completes.
 * Anything that can pass (storage trouble, a busy instance, a worker that died, a bug:
 * `INTERNAL`) is rethrown so Event Grid retries, then dead-letters.
 */
import type { InvocationContext } from '@azure/functions';
import {
  ImageError,
  isCodedError,
  toImageError,
  TooLargeError,
  type CodedError,
} from '../lib/errors.js';
import { sniffFormat } from '../lib/index.js';
import type { ProcessResult } from '../lib/types.js';
import { BACKFILL_REQUESTED, routeBackfill, type BackfillRoute } from './backfill-event.js';
import { nameRefusal, unsafeNameDetail } from './blob-names.js';
import { InstanceBusyError, InvalidEventError } from './errors.js';
import { parseStorageEvent, routeEvent, type BlobEventFacts, type Route } from './events.js';
import { Invocation, type HandlerDeps } from './invocation.js';
import { WorkerFailedError, type ImageSlot } from './limits/index.js';
import type { TimeTicket } from './limits/admission.js';
import { beforeDeadline } from './limits/before-deadline.js';
import { estimateFromHead } from './limits/estimate.js';
import type { Outcome } from './outcome.js';
import { publishDeleted } from './publish-events.js';
import { alreadyDone, readInput, type InputRead } from './read-input.js';
import { refreshBlob } from './refresh-blob.js';
import type { SourceLink } from './results.js';
import { recordFailure, writeResults } from './write-results.js';

export type { Clock, HandlerDeps, ImageProcessor } from './invocation.js';
export type { Outcome, SkipReason } from './outcome.js';

/** The handler's signature, as the Functions host and the local runtime call it. */
export type EventHandler = (event: unknown, context: InvocationContext) => Promise<Outcome>;

/**
 * A version the pipeline acts on (a BlobCreated event's, or the current one for a backfill
 * request, which may replace that version's outdated or failed results).
 */
export type CreatedBlob = BlobEventFacts & { eTag: string; replaces?: string };

/**
 * Builds the handler over `deps`. It resolves when the event is done (processed, recorded as
 * failed, skipped or its results deleted) and rejects only when retrying can help.
 */
export function createEventHandler(deps: HandlerDeps): EventHandler {
  return (payload, context) =>
    deps.telemetry.invocation(context, (span) =>
      handleEvent(new Invocation(deps, context, span), payload),
    );
}

async function handleEvent(inv: Invocation, payload: unknown): Promise<Outcome> {
  try {
    const route = routeOf(inv, payload);
    if (route.action === 'ignore') return ignored(inv, route);
    inv.subject = route.blob.blobName;
    inv.span.annotate({ 'serverless_img.input.name': route.blob.blobName });
    if (route.action === 'delete') return await deleteResults(inv, route.blob);
    if (route.action === 'refresh') {
      return await refreshBlob(inv, route.blob, (blob) => created(inv, blob));
    }
    return await created(inv, route.blob);
  } catch (error) {
    return failedDelivery(inv, error);
  }
}

function routeOf(inv: Invocation, payload: unknown): Route | BackfillRoute {
  const event = parseStorageEvent(payload);
  inv.subject = event.subject;
  inv.span.annotate({
    'cloudevents.event_id': event.id,
    'cloudevents.event_type': event.type,
    'cloudevents.event_subject': event.subject,
    'cloudevents.event_source': event.source,
  });
  const { config, account } = inv.deps;
  const rules = { inputContainer: config.containers.input, account };
  return event.type === BACKFILL_REQUESTED ? routeBackfill(event, rules) : routeEvent(event, rules);
}

function ignored(inv: Invocation, route: Extract<Route, { action: 'ignore' }>): Outcome {
  const line = `Ignored event ${route.event.id} (${route.reason}): ${route.detail}.`;
  if (route.level === 'warning') inv.context.warn(line);
  else inv.context.debug(line);
  return inv.skip(undefined, route.reason, route.detail);
}

/**
 * BlobDeleted: remove the results made before the delete; newer ones stay. Only once the input
 * is really gone: an event is no proof, and a new upload may have come since.
 */
async function deleteResults(inv: Invocation, blob: BlobEventFacts): Promise<Outcome> {
  inv.span.rename('delete results');
  // An unsafe name is never used as a path: its only result is its refused-name record.
  const safe = unsafeNameDetail(blob.blobName) === undefined;
  if (safe && (await inv.deps.inputs.exists(blob.blobName))) {
    const link = { name: blob.blobName, eTag: '', sequencer: blob.sequencer };
    return inv.skip(link, 'not-deleted', 'the input exists, so its results stay');
  }
  const removed = await inv.deps.results.remove(blob.blobName, { sequencer: blob.sequencer });
  inv.context.log(`Deleted ${removed.length} result(s) of ${blob.blobName}.`);
  await publishDeleted(inv, blob.blobName, blob.sequencer, removed);
  return { status: 'deleted', name: blob.blobName, removed, ms: inv.elapsed() };
}

/**
 * BlobCreated: answered within Event Grid's window, whatever the run takes. The run is queued
 * here (or joined, when a redelivery finds it in flight) and the delivery waits for it only
 * when the run is expected to end before the delivery's deadline; otherwise it is refused at
 * once (or at its deadline, when the estimate was wrong) with a retryable error while the run
 * goes on, and the retry finds the results.
 */
async function created(inv: Invocation, blob: CreatedBlob): Promise<Outcome> {
  const link = linkOf(blob);
  const { runs, runner, clock } = inv.deps;
  const key = runKey(link);
  const deadline = runner.deadline(inv.started);
  if (!runs.has(key)) {
    // Done before (a redelivery after the run): say so without queuing anything.
    const done = await beforeDeadline(alreadyDone(inv, link), deadline - clock.now());
    if (done === 'late') throw new InstanceBusyError(link.name, 'storage did not answer in time');
    if (done !== undefined) return done;
  }
  const expectedEnd = runner.expectedEnd(blob.contentLength ?? 0);
  const joined = runs.join(key, () => oneRunPerName(inv, blob), expectedEnd);
  if (joined === 'full') {
    throw new InstanceBusyError(link.name, `${runs.capacity} runs are queued here already`);
  }
  // Held only for a run expected to end in time, joined or started: a held delivery keeps its
  // host slot, the host queues further deliveries behind it, and that wait counts against
  // Event Grid's window although this handler's clock starts only when it is called.
  if ((runs.expectedEnd(key) ?? Number.POSITIVE_INFINITY) > deadline) {
    throw new InstanceBusyError(link.name, QUEUED);
  }
  const outcome = await runs.wait(key, deadline - clock.now());
  if (outcome === undefined) throw new InstanceBusyError(link.name, QUEUED);
  if (joined === 'started') return outcome;
  return inv.skip(link, 'joined', `joined the run in flight here, which ended ${outcome.status}`);
}

/** A run's key in `RunsInFlight`: one run per input name and eTag. */
function runKey(link: SourceLink): string {
  return `${link.name}\n${link.eTag}`;
}

/**
 * Logs a run that failed with no delivery waiting for it (the run outlives its delivery);
 * Event Grid's retry starts it again.
 */
export function logUnwatchedRunFailure(key: string, error: unknown): void {
  const [name, eTag] = key.split('\n');
  const message = error instanceof Error ? error.message : String(error);
  console.warn(
    `The run of ${name} (eTag ${eTag}) failed and waits for Event Grid's retry: ${message}`,
  );
}

const QUEUED =
  'it cannot end within the response window; it stays queued here and a retry will find its results';

/**
 * One run per name at a time here: a newer version's run waits for the one in flight. The run
 * counts in the instance's backlog from the moment it is queued (before it is called, so the
 * next delivery's `expectedEnd` already sees it), not only once it reaches admission.
 */
async function oneRunPerName(inv: Invocation, blob: CreatedBlob): Promise<Outcome> {
  const queued = inv.deps.runner.enqueue(blob.contentLength ?? 0);
  try {
    const release = await inv.deps.locks.acquire(blob.blobName);
    try {
      return await processBlob(inv, blob, queued);
    } finally {
      release();
    }
  } finally {
    queued.finish(); // no-op once its slot has ended it with the time it took
  }
}

async function processBlob(inv: Invocation, blob: CreatedBlob, queued: TimeTicket) {
  const link = linkOf(blob);
  const refusal = refusalBeforeReading(inv, blob);
  if (refusal !== undefined) {
    const source = { size: blob.contentLength, declaredContentType: blob.contentType };
    return recordFailure(inv, link, refusal, source);
  }
  // Admitted before the download, with the memory its header asks for: nothing is read that
  // the instance has no room for.
  const slot = await admitImage(inv, link, blob.contentLength, queued);
  try {
    return await claimed(inv, link, async () => {
      const done = await alreadyDone(inv, link); // made while this run waited its turn
      return done ?? (await processInput(inv, await readInput(inv, link), slot));
    });
  } finally {
    slot.release();
  }
}

/** Runs `work` under this instance's claim on the name, or refuses when another holds it. */
async function claimed(
  inv: Invocation,
  link: SourceLink,
  work: () => Promise<Outcome>,
): Promise<Outcome> {
  const claim = await inv.deps.claims.claim(link.name);
  if (claim === undefined) {
    const reason = 'another instance is processing it; a retry will find its results';
    throw new InstanceBusyError(link.name, reason);
  }
  try {
    return await work();
  } finally {
    await claim.release();
  }
}

/** The first bytes the header read takes: enough for every format's size but TIFF's. */
const HEADER_BYTES = 65_536;

/** Reads the input's header and waits for a slot with the memory it declares. */
async function admitImage(
  inv: Invocation,
  link: SourceLink,
  declared: number | undefined,
  queued: TimeTicket,
) {
  const { inputs, runner, config } = inv.deps;
  const head =
    declared === 0
      ? new Uint8Array(0)
      : await inv.step('read input header', {}, () =>
          inputs.head(link.name, link.eTag, HEADER_BYTES),
        );
  const total = declared ?? head?.length ?? 0;
  return runner.admit(total, estimateFromHead(head, total, config.image.maxPixels), queued);
}

/** The version a run makes results of (and, for a backfill, the version it may replace). */
function linkOf(blob: CreatedBlob): SourceLink {
  const link: SourceLink = { name: blob.blobName, eTag: blob.eTag, sequencer: blob.sequencer };
  if (blob.replaces !== undefined) link.replaces = blob.replaces;
  return link;
}

/** What the event alone shows to be refused: a name results cannot have, or a size. */
function refusalBeforeReading(inv: Invocation, blob: BlobEventFacts): CodedError | undefined {
  const refusal = nameRefusal(blob.blobName);
  if (refusal !== undefined) return refusal;
  const { maxBytes } = inv.deps.config.image;
  if (blob.contentLength === undefined || blob.contentLength <= maxBytes) return undefined;
  inv.span.annotate({ 'serverless_img.input.bytes': blob.contentLength });
  return new TooLargeError(blob.blobName, blob.contentLength, maxBytes);
}

async function processInput(inv: Invocation, read: InputRead, slot: ImageSlot): Promise<Outcome> {
  if (read.kind === 'ended') return read.outcome;
  if (read.kind === 'too-large') {
    const error = new TooLargeError(read.link.name, read.total, inv.deps.config.image.maxBytes);
    const source = { size: read.total, declaredContentType: read.contentType };
    return recordFailure(inv, read.link, error, source);
  }
  const { bytes, contentType } = read.download;
  const processed = await runImage(inv, read, slot);
  if (processed instanceof ImageError) {
    return recordFailure(inv, read.link, processed, { bytes, declaredContentType: contentType });
  }
  return writeResults(inv, read.link, bytes, processed);
}

/**
 * Runs the core in the admitted slot. A permanent image error comes back as a value; anything
 * retrying can help is thrown: a busy instance, a worker that died, a bug (`INTERNAL`), and a
 * first `TIMEOUT` (contention can cause it).
 */
async function runImage(
  inv: Invocation,
  read: Extract<InputRead, { kind: 'ok' }>,
  slot: ImageSlot,
): Promise<ProcessResult | ImageError> {
  const { link, download } = read;
  const format = sniffFormat(download.bytes);
  if (format !== undefined) inv.span.annotate({ 'serverless_img.format': format });
  try {
    return await slot.process(download.bytes, {
      ...inv.deps.config.image,
      name: link.name,
      declaredContentType: download.contentType,
    });
  } catch (error) {
    if (error instanceof WorkerFailedError || error instanceof InstanceBusyError) throw error;
    const imageError = toImageError(link.name, error);
    if (!imageError.permanent) throw imageError;
    const firstTimeout =
      imageError.code === 'TIMEOUT' && inv.deps.timeouts.first(`${link.name}\n${link.eTag}`);
    if (firstTimeout) throw imageError;
    return imageError;
  }
}

/**
 * A delivery that cannot complete. A malformed event stays malformed: logged and completed.
 * Anything else is rethrown for Event Grid to retry; a bug (`INTERNAL`, or an error nobody
 * typed) is logged with its stack.
 */
function failedDelivery(inv: Invocation, error: unknown): Outcome {
  if (error instanceof InvalidEventError) {
    inv.context.error(`${error.message} Event discarded.`);
    return {
      status: 'failed',
      name: undefined,
      eTag: undefined,
      inputBytes: undefined,
      errorCode: error.code,
      message: error.message,
      ms: inv.elapsed(),
    };
  }
  const bug = !isCodedError(error) || error.code === 'INTERNAL';
  const detail = bug ? stackOf(error) : error.message;
  inv.context.error(`Processing ${inv.subject ?? 'event'} failed and will be retried: ${detail}`);
  throw error;
}

/** The stack of what was really thrown: the cause an `INTERNAL` error wraps, else the error. */
function stackOf(error: unknown): string {
  const thrown = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown);
}
