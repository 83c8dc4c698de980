/**
 * The Event Grid handler: one Storage event in, the results of one blob out.
 *
 * parse → route (type, container, api) → skip if already done → download (eTag-conditional,
 * byte cap) → lib.processImage → write output, thumbnail, then metadata last (each write
 * conditional on the source version it holds) → tidy older results.
 *
 * Bad images are permanent failures: a failure record is written and the invocation
 * completes. So is a name whose results Azure would refuse (over 1,024 characters), known
 * from the event. Storage trouble that can pass is rethrown so Event Grid retries.
 */
import type { Readable } from 'node:stream';
import type { InvocationContext } from '@azure/functions';
import { SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { BlobServiceClient } from '@azure/storage-blob';
import { ImageError, TooLargeError, toImageError } from '../lib/errors.js';
import { failureRecord, sniffFormat } from '../lib/index.js';
import { metadataName } from '../lib/naming.js';
import type { FailureRecord, ImageFormat, SourceInfo } from '../lib/types.js';
import { getConfig, type Config } from './config.js';
import { deleteResults } from './delete-blob.js';
import {
  AdapterError,
  classifyStorageError,
  InvalidEventError,
  NameTooLongError,
  statusOf,
} from './errors.js';
import { parseStorageEvent, routeEvent, type BlobEventFacts, type StorageEvent } from './events.js';
import { processImageLimited, WorkerFailedError } from './limits/index.js';
import {
  longestResultName,
  longNameRecordName,
  MAX_BLOB_NAME_LENGTH,
  metadataLocation,
  propertiesOrUndefined,
  readLink,
  removeResult,
  resultNamesFit,
  writeResult,
  type SourceLink,
} from './results.js';
import { createBlobServiceClient } from './storage.js';
import { recordImage } from './telemetry/metrics.js';

/** Why an event ended without new results. */
export type SkipReason =
  'event-type' | 'other-container' | 'api' | 'duplicate' | 'superseded' | 'deleted';

/** What one invocation did; the local runtime prints it, tests assert on it. */
export type Outcome =
  | {
      status: 'succeeded';
      name: string;
      eTag: string;
      inputBytes: number;
      /** Input format, detected from magic bytes. */
      format?: ImageFormat;
      output: { name: string; bytes: number };
      thumbnail: { name: string; bytes: number };
      ms: number;
    }
  | {
      status: 'failed';
      name: string | undefined;
      eTag: string | undefined;
      inputBytes: number | undefined;
      /** Input format, when the bytes were read and recognised. */
      format?: ImageFormat;
      errorCode: string;
      message: string;
      ms: number;
    }
  | {
      status: 'skipped';
      name: string | undefined;
      eTag: string | undefined;
      reason: SkipReason;
      detail: string;
      ms: number;
    }
  | { status: 'deleted'; name: string; removed: string[]; ms: number };

/** What the handler works with; tests and the local runtime pass their own. */
export interface HandlerDeps {
  config: Config;
  serviceClient: BlobServiceClient;
}

/** The handler's signature, as the Functions host and the local runtime call it. */
export type EventHandler = (event: unknown, context: InvocationContext) => Promise<Outcome>;

/** Taken per call, so spans follow the provider that telemetry started (or restarted in tests). */
const tracer = () => trace.getTracer('serverless-img.functions');

/** True until the first invocation of this process: `faas.coldstart`. */
let coldStart = true;

/** Builds a handler bound to `deps` (configuration and storage client). */
export function createEventHandler(deps: HandlerDeps): EventHandler {
  return (event, context) => handleStorageEvent(event, context, deps);
}

let defaults: HandlerDeps | undefined;

/** The configuration and client of this process, built from the environment on first use. */
export function defaultDeps(): HandlerDeps {
  if (defaults === undefined) {
    const config = getConfig();
    defaults = { config, serviceClient: createBlobServiceClient(config.storage) };
  }
  return defaults;
}

/**
 * The Event Grid function: handles one Storage event with the app's own configuration.
 * Resolves when the event is done (processed, recorded as failed, or skipped); rejects only
 * when retrying can help.
 */
export async function processImageEvent(
  event: unknown,
  context: InvocationContext,
): Promise<Outcome> {
  return handleStorageEvent(event, context, defaultDeps());
}

/** Handles one Storage event inside a `process image` span. */
export async function handleStorageEvent(
  payload: unknown,
  context: InvocationContext,
  deps: HandlerDeps,
): Promise<Outcome> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  const firstInvocation = coldStart;
  coldStart = false;
  return tracer().startActiveSpan(
    'process image',
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'faas.trigger': 'pubsub',
        'faas.invocation_id': context.invocationId,
        'faas.coldstart': firstInvocation,
      },
    },
    async (span) => {
      let event: StorageEvent | undefined;
      let facts: BlobEventFacts | undefined;
      try {
        event = parseStorageEvent(payload);
        span.setAttributes({
          'cloudevents.event_id': event.id,
          'cloudevents.event_type': event.type,
          'cloudevents.event_subject': event.subject,
          'cloudevents.event_source': event.source,
        });
        const route = routeEvent(event, deps.config.containers.input);
        if (route.action === 'ignore') {
          context.debug(`Ignored event ${event.id}: ${route.detail}.`);
          return finish(span, {
            status: 'skipped',
            name: undefined,
            eTag: undefined,
            reason: route.reason,
            detail: route.detail,
            ms: elapsed(),
          });
        }
        facts = route.blob;
        span.setAttribute('serverless_img.input.name', facts.blobName);
        if (route.action === 'delete') {
          span.updateName('delete results');
          const removed = resultNamesFit(facts.blobName)
            ? await deleteResults(deps.serviceClient, deps.config.containers, facts.blobName, {
                sequencer: facts.sequencer,
              })
            : await deleteLongNameRecord(deps, facts.blobName, facts.sequencer);
          context.log(`Deleted ${removed.length} result(s) of ${facts.blobName}.`);
          return finish(span, { status: 'deleted', name: facts.blobName, removed, ms: elapsed() });
        }
        const outcome = await processBlob(route.blob, deps, context, span, elapsed);
        return finish(span, outcome);
      } catch (error) {
        if (error instanceof InvalidEventError) {
          // A malformed event stays malformed: retrying cannot help, so log it and complete.
          context.error(`${error.message} Event discarded.`);
          return finish(
            span,
            {
              status: 'failed',
              name: facts?.blobName,
              eTag: facts?.eTag,
              inputBytes: undefined,
              errorCode: error.code,
              message: error.message,
              ms: elapsed(),
            },
            error,
          );
        }
        const code =
          error instanceof AdapterError || error instanceof ImageError ? error.code : 'UNEXPECTED';
        markError(span, error, code);
        span.setAttribute('serverless_img.outcome', 'retried');
        recordImage({ outcome: 'retried', errorCode: code, durationMs: elapsed() });
        context.error(
          `Processing ${facts?.blobName ?? event?.subject ?? 'event'} failed and will be retried: ${
            error instanceof Error ? error.message : String(error)
          }`,
        );
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

async function processBlob(
  blob: BlobEventFacts & { eTag: string },
  deps: HandlerDeps,
  context: InvocationContext,
  span: Span,
  elapsed: () => number,
): Promise<Outcome> {
  const { config, serviceClient } = deps;
  const name = blob.blobName;
  const skip = (reason: SkipReason, detail: string): Outcome => {
    context.log(`Skipped ${name} (${reason}): ${detail}.`);
    return { status: 'skipped', name, eTag: blob.eTag, reason, detail, ms: elapsed() };
  };

  // Already done? The metadata document is written last, so its link says which source
  // version has complete results (or a failure record).
  const metadataClient = serviceClient
    .getContainerClient(config.containers.metadata)
    .getBlockBlobClient(metadataLocation(name));
  const done = await propertiesOrUndefined(metadataClient, 'read metadata properties');
  if (done !== undefined) {
    const link = readLink(done.metadata);
    if (link.name === name && link.eTag === blob.eTag) {
      return skip('duplicate', `results for eTag ${blob.eTag} already exist`);
    }
    if (link.name === name && (link.sequencer ?? '') > blob.sequencer) {
      return skip('superseded', 'results of a newer version already exist');
    }
  }

  const link: SourceLink = { name, eTag: blob.eTag, sequencer: blob.sequencer };
  if (!resultNamesFit(name)) {
    // Azure would refuse every write under such a name with a 400: record it, read nothing.
    const error = new NameTooLongError(name, longestResultName(name), MAX_BLOB_NAME_LENGTH);
    return recordFailure(deps, context, span, link, error, {
      name,
      total: blob.contentLength,
      declaredContentType: blob.contentType,
      elapsed,
    });
  }
  const maxBytes = config.image.maxBytes;
  // Over the byte cap, by the event's word or the blob's: a failure record, nothing read.
  const refuseTooLarge = (total: number, declaredContentType: string | undefined) => {
    span.setAttribute('serverless_img.input.bytes', total);
    const error = new TooLargeError(name, total, maxBytes);
    return recordFailure(deps, context, span, link, error, {
      name,
      total,
      declaredContentType,
      elapsed,
    });
  };
  if (blob.contentLength !== undefined && blob.contentLength > maxBytes) {
    return refuseTooLarge(blob.contentLength, blob.contentType);
  }

  const input = serviceClient.getContainerClient(blob.container).getBlobClient(name);
  const downloaded = await inChildSpan('download', async (child) => {
    let response;
    try {
      // Conditional on the event's eTag: a stale event must never process newer content.
      response = await input.download(0, undefined, {
        conditions: { ifMatch: `"${blob.eTag}"` },
      });
    } catch (error) {
      const status = statusOf(error);
      if (status === 404) return { kind: 'deleted' as const };
      if (status === 412) {
        // Changed or gone: some storage answers a conditional read of a deleted blob with 412.
        const gone = (await propertiesOrUndefined(input, 'read input properties')) === undefined;
        return gone ? { kind: 'deleted' as const } : { kind: 'superseded' as const };
      }
      throw classifyStorageError(`download ${blob.container}/${name}`, error);
    }
    const declared = response.contentLength ?? 0;
    const stream = response.readableStreamBody as Readable | undefined;
    if (declared > maxBytes) {
      stream?.destroy();
      return { kind: 'too-large' as const, total: declared, contentType: response.contentType };
    }
    const read = await readCapped(stream, maxBytes, `download ${blob.container}/${name}`);
    child.setAttribute('serverless_img.input.bytes', read.bytes?.length ?? read.total);
    return read.bytes === undefined
      ? { kind: 'too-large' as const, total: read.total, contentType: response.contentType }
      : {
          kind: 'ok' as const,
          bytes: read.bytes,
          contentType: response.contentType,
        };
  });
  if (downloaded.kind === 'superseded') {
    return skip('superseded', `the blob changed since eTag ${blob.eTag}; its own event handles it`);
  }
  if (downloaded.kind === 'deleted') return skip('deleted', 'the blob was deleted since the event');
  if (downloaded.kind === 'too-large') {
    return refuseTooLarge(downloaded.total, downloaded.contentType);
  }
  span.setAttribute('serverless_img.input.bytes', downloaded.bytes.length);

  const bytes = downloaded.bytes;
  const format = sniffFormat(bytes);
  if (format !== undefined) span.setAttribute('serverless_img.format', format);
  let result;
  try {
    // Through the process's image runner: concurrency limit, memory budget, time limit.
    result = await processImageLimited(bytes, {
      ...config.image,
      name,
      declaredContentType: downloaded.contentType ?? blob.contentType,
    });
  } catch (error) {
    // A worker that died without an answer says nothing about the image: let Event Grid retry.
    if (error instanceof WorkerFailedError) throw error;
    const imageError = toImageError(name, error);
    if (!imageError.permanent) throw imageError;
    return recordFailure(deps, context, span, link, imageError, {
      name,
      bytes,
      total: bytes.length,
      declaredContentType: downloaded.contentType,
      elapsed,
    });
  }

  result.metadata.source.eTag = blob.eTag;
  // The core hashed the bytes for its record; the results' blob metadata carries the same hash.
  link.sha256 = result.metadata.source.sha256;
  const writes = [
    {
      span: 'upload output',
      container: config.containers.output,
      name: result.output.name,
      body: result.output.bytes,
      contentType: result.output.contentType,
    },
    {
      span: 'upload thumbnail',
      container: config.containers.thumbnails,
      name: result.thumbnail.name,
      body: result.thumbnail.bytes,
      contentType: result.thumbnail.contentType,
    },
    {
      // Last: the metadata document's presence means the results are complete.
      span: 'upload metadata',
      container: config.containers.metadata,
      name: metadataName(name),
      body: new TextEncoder().encode(JSON.stringify(result.metadata, null, 2)),
      contentType: 'application/json',
    },
  ];
  for (const write of writes) {
    const written = await inChildSpan(write.span, async (child) => {
      child.setAttributes({
        'serverless_img.blob.container': write.container,
        'serverless_img.blob.bytes': write.body.length,
      });
      const blobClient = serviceClient
        .getContainerClient(write.container)
        .getBlockBlobClient(write.name);
      return writeResult(blobClient, write.body, write.contentType, link);
    });
    if (written.status === 'stale') {
      // A newer version got there first: take back what we wrote, so no older output stays
      // beside its metadata (or its failure record).
      await deleteResults(serviceClient, config.containers, name, { eTag: blob.eTag });
      return skip('superseded', `${write.container}/${write.name} holds a newer version`);
    }
  }

  // Results of an older version under the other output name (PNG then, JPEG now) go.
  const kept = writes.map((write) => `${write.container}/${write.name}`);
  await deleteResults(serviceClient, config.containers, name, { sequencer: blob.sequencer }, kept);

  // Deleted while we worked? Its BlobDeleted may have run before our writes: tidy up.
  if ((await propertiesOrUndefined(input, 'read input properties')) === undefined) {
    await deleteResults(serviceClient, config.containers, name, { eTag: blob.eTag });
    return skip('deleted', 'the blob was deleted while it was processed; results removed');
  }

  span.setAttributes({
    'serverless_img.width': result.metadata.image.width,
    'serverless_img.height': result.metadata.image.height,
    'serverless_img.output.bytes': result.output.bytes.length,
    'serverless_img.thumbnail.bytes': result.thumbnail.bytes.length,
    'serverless_img.output.format': result.output.format,
  });
  const outcome: Outcome = {
    status: 'succeeded',
    name,
    eTag: blob.eTag,
    inputBytes: bytes.length,
    ...(format && { format }),
    output: { name: result.output.name, bytes: result.output.bytes.length },
    thumbnail: { name: result.thumbnail.name, bytes: result.thumbnail.bytes.length },
    ms: elapsed(),
  };
  context.log(
    `Processed ${name}: ${bytes.length} bytes -> ${result.output.name} (${result.output.bytes.length} bytes), thumbnail ${result.thumbnail.bytes.length} bytes.`,
  );
  return outcome;
}

/**
 * Removes the long-name failure record of `name` (its only result) if made before the delete
 * with `sequencer`.
 */
async function deleteLongNameRecord(
  deps: HandlerDeps,
  name: string,
  sequencer: string,
): Promise<string[]> {
  const container = deps.config.containers.metadata;
  const recordName = longNameRecordName(name);
  const blob = deps.serviceClient.getContainerClient(container).getBlobClient(recordName);
  return (await removeResult(blob, { name, sequencer })) ? [`${container}/${recordName}`] : [];
}

/**
 * Writes the failure record (conditionally, like any result) and removes older results. A
 * source whose result names would be too long gets its record under `_long-names/`.
 */
async function recordFailure(
  deps: HandlerDeps,
  context: InvocationContext,
  span: Span,
  link: SourceLink,
  error: ImageError | NameTooLongError,
  source: {
    name: string;
    /** The bytes, when they were read; absent when the blob was refused unread. */
    bytes?: Uint8Array;
    /** The blob's size; unknown when the event did not say and nothing was read. */
    total: number | undefined;
    declaredContentType: string | undefined;
    elapsed: () => number;
  },
): Promise<Outcome> {
  const { config, serviceClient } = deps;
  const record: FailureRecord = failureRecord(
    {
      name: source.name,
      bytes: source.bytes ?? new Uint8Array(0),
      declaredContentType: source.declaredContentType,
    },
    error,
  );
  // The core's record wraps anything but its own errors; an adapter's code stays as it is.
  record.error = error.toJSON();
  record.source.eTag = link.eTag;
  if (source.bytes !== undefined) link.sha256 = record.source.sha256;
  if (source.bytes === undefined) {
    // Refused unread (over maxBytes, or a name too long): the size is the blob's, no hash.
    record.source.bytes = source.total ?? 0;
    delete (record.source as Partial<SourceInfo>).sha256;
  }
  const metadataBlob = metadataLocation(source.name);
  const written = await inChildSpan('upload metadata', () =>
    writeResult(
      serviceClient.getContainerClient(config.containers.metadata).getBlockBlobClient(metadataBlob),
      new TextEncoder().encode(JSON.stringify(record, null, 2)),
      'application/json',
      link,
    ),
  );
  if (written.status === 'stale') {
    return {
      status: 'skipped',
      name: source.name,
      eTag: link.eTag,
      reason: 'superseded',
      detail: `${config.containers.metadata}/${metadataBlob} holds a newer version`,
      ms: source.elapsed(),
    };
  }
  // A failed new version leaves no results of an older one behind. (Under a name too long,
  // there never were any: the record just written replaced the older version's.)
  if (resultNamesFit(source.name)) {
    await deleteResults(
      serviceClient,
      config.containers,
      source.name,
      { sequencer: link.sequencer },
      [`${config.containers.metadata}/${metadataBlob}`],
    );
  }
  context.warn(
    `Failed ${source.name} (${error.code}): ${error.message} Failure record: ${config.containers.metadata}/${metadataBlob}.`,
  );
  const outcome: Outcome = {
    status: 'failed',
    name: source.name,
    eTag: link.eTag,
    inputBytes: source.total,
    ...(record.source.format && { format: record.source.format }),
    errorCode: error.code,
    message: error.message,
    ms: source.elapsed(),
  };
  markError(span, error, error.code);
  return outcome;
}

function finish(span: Span, outcome: Outcome, error?: AdapterError): Outcome {
  span.setAttribute(
    'serverless_img.outcome',
    outcome.status === 'deleted' ? 'succeeded' : outcome.status,
  );
  if (outcome.status === 'skipped') span.setAttribute('serverless_img.skip_reason', outcome.reason);
  if (error !== undefined) markError(span, error, error.code);
  recordImage({
    outcome: outcome.status,
    format: 'format' in outcome ? outcome.format : undefined,
    errorCode: outcome.status === 'failed' ? outcome.errorCode : undefined,
    durationMs: outcome.ms,
    bytesRead: 'inputBytes' in outcome ? outcome.inputBytes : undefined,
    bytesWritten:
      outcome.status === 'succeeded' ? outcome.output.bytes + outcome.thumbnail.bytes : undefined,
  });
  return outcome;
}

function markError(span: Span, error: unknown, code: string): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
  span.setAttributes({ 'error.type': code, 'serverless_img.error.code': code });
}

async function inChildSpan<T>(name: string, work: (span: Span) => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      markError(span, error, error instanceof AdapterError ? error.code : 'UNEXPECTED');
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * Reads a download stream into memory and stops as soon as it passes
 * `maxBytes` (the declared length can be absent or wrong). `bytes` is undefined then.
 */
async function readCapped(
  stream: Readable | undefined,
  maxBytes: number,
  operation: string,
): Promise<{ bytes: Uint8Array | undefined; total: number }> {
  const chunks: Buffer[] = [];
  let total = 0;
  if (stream === undefined) return { bytes: new Uint8Array(0), total };
  try {
    for await (const chunk of stream) {
      const buffer = chunk as Buffer;
      total += buffer.length;
      if (total > maxBytes) {
        stream.destroy();
        return { bytes: undefined, total };
      }
      chunks.push(buffer);
    }
  } catch (error) {
    throw classifyStorageError(operation, error);
  }
  return { bytes: Buffer.concat(chunks, total), total };
}
