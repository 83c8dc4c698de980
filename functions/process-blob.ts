/**
 * The Event Grid handler: one Storage event in, the results of one blob out.
 *
 * parse → route (type, container, api) → skip if already done → refuse unread (name too long,
 * over the byte cap) → download (eTag-conditional, byte cap) → run the core (worker pool,
 * limits) → write output, thumbnail, then metadata last (each conditional on the source version
 * it holds) → tidy older results → check the input still exists.
 *
 * Bad images are permanent failures: a failure record is written and the invocation completes.
 * Anything that can pass (storage trouble, a worker that died, a bug: `INTERNAL`) is rethrown
 * so Event Grid retries, then dead-letters.
 */
import type { InvocationContext } from '@azure/functions';
import {
  ImageError,
  isCodedError,
  toImageError,
  TooLargeError,
  type CodedError,
} from '../lib/errors.js';
import { failureRecord, sniffFormat } from '../lib/index.js';
import { metadataName } from '../lib/naming.js';
import type { ProcessResult } from '../lib/types.js';
import type { StorageAccount } from './account.js';
import type { Config } from './config.js';
import {
  AdapterError,
  InstanceBusyError,
  InvalidEventError,
  TransientStorageError,
} from './errors.js';
import { parseStorageEvent, routeEvent, type BlobEventFacts, type Route } from './events.js';
import type { Download, InputBlobs } from './input-blobs.js';
import { WorkerFailedError } from './limits/index.js';
import type { ImageSlot } from './limits/index.js';
import { WaitExpiredError } from './limits/limiter.js';
import type { NameLocks } from './limits/name-locks.js';
import type { SeenOnce } from './limits/seen-once.js';
import type { Outcome, SkipReason } from './outcome.js';
import type { ResultBlob, ResultStore } from './result-store.js';
import { metadataLocation, nameRefusal, unsafeNameDetail } from './blob-names.js';
import { sameSource, type SourceLink } from './results.js';
import type { InvocationSpan, TelemetryRecorder } from './telemetry/recorder.js';

export type { Outcome, SkipReason } from './outcome.js';

/**
 * Runs the imaging core within the instance's limits (the app's `ImageRunner`): admits a
 * delivery before its download, or refuses it at once (`InstanceBusyError`) when it could not
 * be answered within the response window.
 */
export interface ImageProcessor {
  admit(name: string, declaredBytes: number, arrivedAt: number): ImageSlot;
}

/** A monotonic clock in milliseconds (`performance.now`). */
export interface Clock {
  now(): number;
}

/** The ports the handler works through: the app builds them from its settings; tests pick theirs. */
export interface HandlerDeps {
  /** Container names and the options passed to the core. */
  config: Pick<Config, 'containers' | 'image' | 'delivery'>;
  /** The only storage account whose events act. */
  account: StorageAccount;
  inputs: InputBlobs;
  results: ResultStore;
  runner: ImageProcessor;
  clock: Clock;
  telemetry: TelemetryRecorder;
  /** Versions that already timed out once here: `TIMEOUT` gets one retry before its record. */
  timeouts: SeenOnce;
  /** One run per input name at a time on this instance. */
  locks: NameLocks;
}

/** The handler's signature, as the Functions host and the local runtime call it. */
export type EventHandler = (event: unknown, context: InvocationContext) => Promise<Outcome>;

/**
 * Builds the handler over `deps`. It resolves when the event is done (processed, recorded as
 * failed, skipped or its results deleted) and rejects only when retrying can help.
 */
export function createEventHandler(deps: HandlerDeps): EventHandler {
  return (payload, context) =>
    deps.telemetry.invocation(context, (span) =>
      new Invocation(deps, context, span).handle(payload),
    );
}

/** What a failure record knows of its source besides the name and eTag. */
interface FailedSource {
  bytes?: Uint8Array;
  size?: number | undefined;
  declaredContentType?: string | undefined;
}

/** How often a blob that keeps changing while it is read is followed to its newer version. */
const MAX_VERSION_CHASES = 3;

/** The input as read: its bytes and the version they are, or how the event ended without them. */
type InputRead =
  | { kind: 'ok'; link: SourceLink; download: Extract<Download, { kind: 'ok' }> }
  | { kind: 'ended'; outcome: Outcome };

/** One event's way through the handler: each method is one named step. */
class Invocation {
  private readonly started: number;
  private subject: string | undefined;

  constructor(
    private readonly deps: HandlerDeps,
    private readonly context: InvocationContext,
    private readonly span: InvocationSpan,
  ) {
    this.started = deps.clock.now();
  }

  async handle(payload: unknown): Promise<Outcome> {
    try {
      const route = this.route(payload);
      if (route.action === 'ignore') return this.ignored(route);
      this.subject = route.blob.blobName;
      this.span.annotate({ 'serverless_img.input.name': route.blob.blobName });
      if (route.action === 'delete') return await this.deleteResults(route.blob);
      return await this.processBlob(route.blob);
    } catch (error) {
      return this.failedDelivery(error);
    }
  }

  private route(payload: unknown): Route {
    const event = parseStorageEvent(payload);
    this.subject = event.subject;
    this.span.annotate({
      'cloudevents.event_id': event.id,
      'cloudevents.event_type': event.type,
      'cloudevents.event_subject': event.subject,
      'cloudevents.event_source': event.source,
    });
    const { config, account } = this.deps;
    return routeEvent(event, { inputContainer: config.containers.input, account });
  }

  private ignored(route: Extract<Route, { action: 'ignore' }>): Outcome {
    const line = `Ignored event ${route.event.id} (${route.reason}): ${route.detail}.`;
    if (route.level === 'warning') this.context.warn(line);
    else this.context.debug(line);
    return this.skip(undefined, route.reason, route.detail);
  }

  /**
   * BlobDeleted: remove the results made before the delete; newer ones stay. Only once the
   * input is really gone: an event is no proof, and a new upload may have come since.
   */
  private async deleteResults(blob: BlobEventFacts): Promise<Outcome> {
    this.span.rename('delete results');
    // An unsafe name is never used as a path: its only result is its refused-name record.
    const safe = unsafeNameDetail(blob.blobName) === undefined;
    if (safe && (await this.deps.inputs.exists(blob.blobName))) {
      const link = { name: blob.blobName, eTag: '', sequencer: blob.sequencer };
      return this.skip(link, 'not-deleted', 'the input exists, so its results stay');
    }
    const removed = await this.deps.results.remove(blob.blobName, { sequencer: blob.sequencer });
    this.context.log(`Deleted ${removed.length} result(s) of ${blob.blobName}.`);
    return { status: 'deleted', name: blob.blobName, removed, ms: this.elapsed() };
  }

  /** One run per name at a time here: a redelivery waits for the run in flight, then finds it done. */
  private async processBlob(blob: BlobEventFacts & { eTag: string }): Promise<Outcome> {
    const waitMs = this.deps.config.delivery.responseWindowMs / 2 - this.elapsed();
    const release = await this.deps.locks.acquire(blob.blobName, waitMs).catch((error: unknown) => {
      if (!(error instanceof WaitExpiredError)) throw error;
      throw new InstanceBusyError(blob.blobName, 'a run for the same name is in flight here');
    });
    try {
      return await this.processVersion(blob);
    } finally {
      release();
    }
  }

  private async processVersion(blob: BlobEventFacts & { eTag: string }): Promise<Outcome> {
    const link: SourceLink = { name: blob.blobName, eTag: blob.eTag, sequencer: blob.sequencer };
    const done = await this.alreadyDone(link);
    if (done !== undefined) return done;
    const refusal = this.refusalBeforeReading(blob);
    if (refusal !== undefined) {
      return this.recordFailure(link, refusal, {
        size: blob.contentLength,
        declaredContentType: blob.contentType,
      });
    }
    // Admitted before the download, or refused at once: nothing is read that cannot be done in time.
    const slot = this.deps.runner.admit(link.name, blob.contentLength ?? 0, this.started);
    try {
      return await this.readAndProcess(link, slot);
    } finally {
      slot.release();
    }
  }

  private async readAndProcess(link: SourceLink, slot: ImageSlot): Promise<Outcome> {
    const read = await this.readInput(link);
    if (read.kind === 'ended') return read.outcome;
    const processed = await this.runImage(read.link, read.download, slot);
    if (processed instanceof ImageError) {
      return this.recordFailure(read.link, processed, {
        bytes: read.download.bytes,
        declaredContentType: read.download.contentType,
      });
    }
    return this.writeResults(read.link, read.download.bytes, processed);
  }

  /**
   * Downloads the version the event names or, when the blob changed since, the version there
   * now, and links the results to the eTag actually read: Set Blob Metadata and Set Blob
   * Properties change the eTag and raise no event, so no later event may come for it.
   */
  private async readInput(link: SourceLink): Promise<InputRead> {
    for (let chase = 0; chase <= MAX_VERSION_CHASES; chase += 1) {
      const download = await this.download(link);
      if (download.kind === 'ok') return { kind: 'ok', link, download };
      if (download.kind !== 'changed') {
        return { kind: 'ended', outcome: await this.notDownloaded(link, download) };
      }
      this.context.log(
        `${link.name} changed since eTag ${link.eTag}; reading the version there now (eTag ${download.eTag}).`,
      );
      link = { ...link, eTag: download.eTag };
      const done = await this.alreadyDone(link);
      if (done !== undefined) return { kind: 'ended', outcome: done };
    }
    const operation = `download ${this.deps.config.containers.input}/${link.name}`;
    throw new TransientStorageError(operation, 412, new Error('the blob kept changing'));
  }

  /**
   * The metadata document is written last, so its link says which source version has complete
   * results (or a failure record): the same version is a duplicate, a newer one supersedes.
   */
  private async alreadyDone(link: SourceLink): Promise<Outcome | undefined> {
    const done = await this.deps.results.completedVersion(link.name);
    if (done === undefined || !sameSource(done, link.name)) return undefined;
    if (done.eTag === link.eTag) {
      return this.skip(link, 'duplicate', `results for eTag ${link.eTag} already exist`);
    }
    if ((done.sequencer ?? '') > link.sequencer) {
      return this.skip(link, 'superseded', 'results of a newer version already exist');
    }
    return undefined;
  }

  /** What the event alone shows to be refused: a name results cannot have, or a size. */
  private refusalBeforeReading(blob: BlobEventFacts): CodedError | undefined {
    const name = blob.blobName;
    const refusal = nameRefusal(name);
    if (refusal !== undefined) return refusal;
    const maxBytes = this.deps.config.image.maxBytes;
    if (blob.contentLength !== undefined && blob.contentLength > maxBytes) {
      this.span.annotate({ 'serverless_img.input.bytes': blob.contentLength });
      return new TooLargeError(name, blob.contentLength, maxBytes);
    }
    return undefined;
  }

  private download(link: SourceLink): Promise<Download> {
    return this.step('download', {}, async () => {
      const { maxBytes } = this.deps.config.image;
      const download = await this.deps.inputs.download(link.name, link.eTag, maxBytes);
      if (download.kind === 'ok') {
        this.span.annotate({ 'serverless_img.input.bytes': download.bytes.length });
      }
      return download;
    });
  }

  private async notDownloaded(
    link: SourceLink,
    download: Extract<Download, { kind: 'deleted' | 'too-large' }>,
  ): Promise<Outcome> {
    if (download.kind === 'deleted') {
      return this.skip(link, 'deleted', 'the blob was deleted since the event');
    }
    const maxBytes = this.deps.config.image.maxBytes;
    this.span.annotate({ 'serverless_img.input.bytes': download.total });
    const error = new TooLargeError(link.name, download.total, maxBytes);
    return this.recordFailure(link, error, {
      size: download.total,
      declaredContentType: download.contentType,
    });
  }

  /**
   * Runs the core through the app's runner (concurrency, memory budget, time limit). A
   * permanent image error comes back as a value; anything retrying can help is thrown: a
   * worker that died, a bug (`INTERNAL`), and a first `TIMEOUT` (contention can cause it).
   */
  private async runImage(
    link: SourceLink,
    download: Extract<Download, { kind: 'ok' }>,
    slot: ImageSlot,
  ): Promise<ProcessResult | ImageError> {
    const format = sniffFormat(download.bytes);
    if (format !== undefined) this.span.annotate({ 'serverless_img.format': format });
    try {
      return await slot.process(download.bytes, {
        ...this.deps.config.image,
        name: link.name,
        declaredContentType: download.contentType,
      });
    } catch (error) {
      if (error instanceof WorkerFailedError || error instanceof InstanceBusyError) throw error;
      const imageError = toImageError(link.name, error);
      if (!imageError.permanent) throw imageError;
      if (imageError.code === 'TIMEOUT' && this.deps.timeouts.first(`${link.name}\n${link.eTag}`)) {
        throw imageError;
      }
      return imageError;
    }
  }

  /** Output, thumbnail, then metadata (its presence means complete); then tidy and re-check. */
  private async writeResults(
    link: SourceLink,
    bytes: Uint8Array,
    result: ProcessResult,
  ): Promise<Outcome> {
    result.metadata.source.eTag = link.eTag;
    // The core hashed the bytes for its record; the results' blob metadata carries the same hash.
    const linked = { ...link, sha256: result.metadata.source.sha256 };
    const writes = resultBlobs(this.deps.config, link.name, result);
    for (const [step, write] of writes) {
      const attributes = {
        'serverless_img.blob.container': write.container,
        'serverless_img.blob.bytes': write.body.length,
      };
      const written = await this.step(step, attributes, () =>
        this.deps.results.write(write, linked),
      ).catch((error: unknown) => refusedWrite(error));
      if (written.status === 'refused') {
        // Storage refused the write for good (a name or header it will never take): no
        // retry can help, so the input gets a failure record instead of a dead letter.
        await this.deps.results.remove(link.name, { eTag: link.eTag });
        return this.recordFailure(link, written.error, { bytes });
      }
      if (written.status === 'stale') {
        // A newer version got there first: take back what we wrote, so no older output stays
        // beside its metadata (or its failure record).
        await this.deps.results.remove(link.name, { eTag: link.eTag });
        return this.skip(
          link,
          'superseded',
          `${write.container}/${write.name} holds a newer version`,
        );
      }
    }
    const kept = writes.map(([, write]) => `${write.container}/${write.name}`);
    await this.deps.results.remove(link.name, { sequencer: link.sequencer }, kept);
    return (await this.inputStillExists(link)) ?? this.succeeded(link, bytes, result);
  }

  /** Deleted while we worked? Its BlobDeleted may have run before our writes: tidy up. */
  private async inputStillExists(link: SourceLink): Promise<Outcome | undefined> {
    if (await this.deps.inputs.exists(link.name)) return undefined;
    await this.deps.results.remove(link.name, { eTag: link.eTag });
    return this.skip(
      link,
      'deleted',
      'the blob was deleted while it was processed; results removed',
    );
  }

  private succeeded(link: SourceLink, bytes: Uint8Array, result: ProcessResult): Outcome {
    const { output, thumbnail, metadata } = result;
    this.span.annotate({
      'serverless_img.width': metadata.image.width,
      'serverless_img.height': metadata.image.height,
      'serverless_img.output.bytes': output.bytes.length,
      'serverless_img.thumbnail.bytes': thumbnail.bytes.length,
      'serverless_img.output.format': output.format,
    });
    this.context.log(
      `Processed ${link.name}: ${bytes.length} bytes -> ${output.name} (${output.bytes.length} bytes), thumbnail ${thumbnail.bytes.length} bytes.`,
    );
    return {
      status: 'succeeded',
      name: link.name,
      eTag: link.eTag,
      inputBytes: bytes.length,
      ...(metadata.source.format && { format: metadata.source.format }),
      output: { name: output.name, bytes: output.bytes.length },
      thumbnail: { name: thumbnail.name, bytes: thumbnail.bytes.length },
      ms: this.elapsed(),
    };
  }

  /**
   * Writes the failure record (conditionally, like any result) and removes older results. A
   * source whose result names would be too long gets its record under `_long-names/`.
   */
  private async recordFailure(
    link: SourceLink,
    error: CodedError,
    source: FailedSource,
  ): Promise<Outcome> {
    const { containers } = this.deps.config;
    const record = failureRecord({ name: link.name, eTag: link.eTag, ...source }, error);
    const location = metadataLocation(link.name);
    const write: ResultBlob = {
      container: containers.metadata,
      name: location,
      body: new TextEncoder().encode(JSON.stringify(record, null, 2)),
      contentType: 'application/json',
    };
    const linked = { ...link, ...(record.source.sha256 && { sha256: record.source.sha256 }) };
    const written = await this.step('upload metadata', {}, () =>
      this.deps.results.write(write, linked),
    );
    if (written.status === 'stale') {
      return this.skip(
        link,
        'superseded',
        `${containers.metadata}/${location} holds a newer version`,
      );
    }
    // A failed new version leaves no results of an older one behind.
    const recordId = `${containers.metadata}/${location}`;
    await this.deps.results.remove(link.name, { sequencer: link.sequencer }, [recordId]);
    this.context.warn(
      `Failed ${link.name} (${error.code}): ${error.message} Failure record: ${recordId}.`,
    );
    return {
      status: 'failed',
      name: link.name,
      eTag: link.eTag,
      inputBytes: source.bytes?.length ?? source.size,
      ...(record.source.format && { format: record.source.format }),
      errorCode: error.code,
      message: error.message,
      ms: this.elapsed(),
    };
  }

  /**
   * A delivery that cannot complete. A malformed event stays malformed: logged and completed.
   * Anything else is rethrown for Event Grid to retry; a bug (`INTERNAL`, or an error nobody
   * typed) is logged with its stack.
   */
  private failedDelivery(error: unknown): Outcome {
    if (error instanceof InvalidEventError) {
      this.context.error(`${error.message} Event discarded.`);
      return {
        status: 'failed',
        name: undefined,
        eTag: undefined,
        inputBytes: undefined,
        errorCode: error.code,
        message: error.message,
        ms: this.elapsed(),
      };
    }
    const what = this.subject ?? 'event';
    const bug = !isCodedError(error) || error.code === 'INTERNAL';
    this.context.error(
      `Processing ${what} failed and will be retried: ${bug ? stackOf(error) : messageOf(error)}`,
    );
    throw error;
  }

  private skip(link: SourceLink | undefined, reason: SkipReason, detail: string): Outcome {
    if (link !== undefined) this.context.log(`Skipped ${link.name} (${reason}): ${detail}.`);
    else this.context.debug(`Ignored event ${this.subject ?? ''}: ${detail}.`);
    return {
      status: 'skipped',
      name: link?.name,
      eTag: link?.eTag,
      reason,
      detail,
      ms: this.elapsed(),
    };
  }

  private step<T>(
    name: string,
    attributes: Record<string, string | number>,
    work: () => Promise<T>,
  ) {
    return this.deps.telemetry.step(name, attributes, work);
  }

  private elapsed(): number {
    return Math.round(this.deps.clock.now() - this.started);
  }
}

/** The three result blobs of a processed image, in write order, each with its span name. */
function resultBlobs(
  config: Pick<Config, 'containers'>,
  name: string,
  result: ProcessResult,
): [string, ResultBlob][] {
  const { containers } = config;
  return [
    ['upload output', { container: containers.output, ...encoded(result.output) }],
    ['upload thumbnail', { container: containers.thumbnails, ...encoded(result.thumbnail) }],
    [
      'upload metadata',
      {
        container: containers.metadata,
        name: metadataName(name),
        body: new TextEncoder().encode(JSON.stringify(result.metadata, null, 2)),
        contentType: 'application/json',
      },
    ],
  ];
}

/** A permanent storage error as a value; anything else is thrown on. */
function refusedWrite(error: unknown): { status: 'refused'; error: AdapterError } {
  if (error instanceof AdapterError && error.permanent) return { status: 'refused', error };
  throw error;
}

function encoded(image: ProcessResult['output']): Omit<ResultBlob, 'container'> {
  return { name: image.name, body: image.bytes, contentType: image.contentType };
}

/** The stack of what was really thrown: the cause an `INTERNAL` error wraps, else the error. */
function stackOf(error: unknown): string {
  const thrown = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
