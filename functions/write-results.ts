/**
 * The handler's writing steps: output, thumbnail, then the metadata document last (its
 * presence means the results are complete), each conditional on the source version it holds;
 * or the failure record. Then older results are tidied away.
 */
import type { CodedError } from '../lib/errors.js';
import { failureRecord } from '../lib/index.js';
import { metadataName } from '../lib/naming.js';
import type { ProcessResult } from '../lib/types.js';
import { metadataLocation } from './blob-names.js';
import type { Config } from './config.js';
import { AdapterError } from './errors.js';
import type { Invocation } from './invocation.js';
import type { Outcome } from './outcome.js';
import { publishRecord } from './publish-events.js';
import type { ResultBlob } from './result-store.js';
import type { SourceLink } from './results.js';

/** What a failure record knows of its source besides the name and eTag. */
export interface FailedSource {
  /** The bytes, when they were read; absent when the input was refused unread. */
  bytes?: Uint8Array;
  /** The input's size when its bytes were not read. */
  size?: number | undefined;
  declaredContentType?: string | undefined;
}

/** Output, thumbnail, then metadata; then tidy older results and check the input is still there. */
export async function writeResults(
  inv: Invocation,
  link: SourceLink,
  bytes: Uint8Array,
  result: ProcessResult,
): Promise<Outcome> {
  result.metadata.source.eTag = link.eTag;
  // The core hashed the bytes for its record; the results' blob metadata carries the same hash.
  const linked = { ...link, sha256: result.metadata.source.sha256 };
  const writes = resultBlobs(inv.deps.config, link.name, result);
  for (const [step, write] of writes) {
    const attributes = {
      'serverless_img.blob.container': write.container,
      'serverless_img.blob.bytes': write.body.length,
    };
    const written = await inv
      .step(step, attributes, () => inv.deps.results.write(write, linked))
      .catch((error: unknown) => refusedWrite(error));
    if (written.status === 'refused') {
      // Storage refused the write for good (a name or header it will never take): no retry
      // can help, so the input gets a failure record instead of a dead letter.
      await inv.deps.results.remove(link.name, { eTag: link.eTag });
      return recordFailure(inv, link, written.error, { bytes });
    }
    if (written.status === 'stale') {
      // A newer version got there first: take back what we wrote, so no older output stays
      // beside its metadata (or its failure record).
      await inv.deps.results.remove(link.name, { eTag: link.eTag });
      return inv.skip(link, 'superseded', `${write.container}/${write.name} holds a newer version`);
    }
  }
  const kept = writes.map(([, write]) => `${write.container}/${write.name}`);
  await inv.deps.results.remove(link.name, { sequencer: link.sequencer }, kept);
  const deleted = await deletedMeanwhile(inv, link);
  if (deleted !== undefined) return deleted;
  await publishRecord(inv, result.metadata);
  return succeeded(inv, link, bytes, result);
}

/**
 * Writes the failure record (conditionally, like any result) and removes older results. A
 * source whose results cannot be named gets its record under `_long-names/` or
 * `_invalid-names/`.
 */
export async function recordFailure(
  inv: Invocation,
  link: SourceLink,
  error: CodedError,
  source: FailedSource,
): Promise<Outcome> {
  const { containers } = inv.deps.config;
  const record = failureRecord({ name: link.name, eTag: link.eTag, ...source }, error);
  const write: ResultBlob = {
    container: containers.metadata,
    name: metadataLocation(link.name),
    body: new TextEncoder().encode(JSON.stringify(record, null, 2)),
    contentType: 'application/json',
    cacheControl: inv.deps.config.results.cacheControl,
  };
  const recordId = `${write.container}/${write.name}`;
  const linked = { ...link, ...(record.source.sha256 && { sha256: record.source.sha256 }) };
  const written = await inv.step('upload metadata', {}, () =>
    inv.deps.results.write(write, linked),
  );
  if (written.status === 'stale') {
    return inv.skip(link, 'superseded', `${recordId} holds a newer version`);
  }
  // A failed new version leaves no results of an older one behind.
  await inv.deps.results.remove(link.name, { sequencer: link.sequencer }, [recordId]);
  await publishRecord(inv, record);
  inv.context.warn(
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
    ms: inv.elapsed(),
  };
}

/** Deleted while we worked? Its BlobDeleted may have run before our writes: tidy up. */
async function deletedMeanwhile(inv: Invocation, link: SourceLink): Promise<Outcome | undefined> {
  if (await inv.deps.inputs.exists(link.name)) return undefined;
  await inv.deps.results.remove(link.name, { eTag: link.eTag });
  return inv.skip(link, 'deleted', 'the blob was deleted while it was processed; results removed');
}

function succeeded(
  inv: Invocation,
  link: SourceLink,
  bytes: Uint8Array,
  result: ProcessResult,
): Outcome {
  const { renditions, metadata } = result;
  inv.span.annotate({
    'serverless_img.width': metadata.image.width,
    'serverless_img.height': metadata.image.height,
    // Every rendition together; the format is the first rendition's (the resized image).
    'serverless_img.output.bytes': renditions.reduce((sum, r) => sum + r.bytes.length, 0),
    'serverless_img.output.format': renditions[0]?.format ?? 'none',
    'serverless_img.renditions': renditions.length,
  });
  const written = renditions.map(
    (r) => `${r.container}/${r.name} ${r.format} ${r.width}x${r.height} (${r.bytes.length} bytes)`,
  );
  inv.context.log(`Processed ${link.name}: ${bytes.length} bytes -> ${written.join(', ')}.`);
  return {
    status: 'succeeded',
    name: link.name,
    eTag: link.eTag,
    inputBytes: bytes.length,
    ...(metadata.source.format && { format: metadata.source.format }),
    renditions: renditions.map(({ container, name, format, width, height, bytes: body }) => ({
      container,
      name,
      format,
      width,
      height,
      bytes: body.length,
    })),
    ms: inv.elapsed(),
  };
}

/**
 * The result blobs of a processed image, in write order, each with its span name (`upload
 * rendition`, its container an attribute): the renditions, then the metadata document last
 * (its presence means the results are complete).
 */
function resultBlobs(
  config: Pick<Config, 'containers' | 'results'>,
  name: string,
  result: ProcessResult,
): [string, ResultBlob][] {
  const { cacheControl } = config.results;
  const renditions = result.renditions.map((rendition): [string, ResultBlob] => [
    'upload rendition',
    { ...rendition, body: rendition.bytes, cacheControl },
  ]);
  const metadata: ResultBlob = {
    container: config.containers.metadata,
    name: metadataName(name),
    body: new TextEncoder().encode(JSON.stringify(result.metadata, null, 2)),
    contentType: 'application/json',
    cacheControl,
  };
  return [...renditions, ['upload metadata', metadata]];
}

/** A permanent storage error as a value; anything else is thrown on. */
function refusedWrite(error: unknown): { status: 'refused'; error: AdapterError } {
  if (error instanceof AdapterError && error.permanent) return { status: 'refused', error };
  throw error;
}
