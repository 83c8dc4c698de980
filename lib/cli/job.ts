/**
 * One file, start to finish: read it, have its bytes processed (by the image pool of
 * lib/runner/), write the resized image, the thumbnail and (last) the metadata document; or,
 * when anything fails, write a failure record instead. Never throws: every problem becomes a
 * failed outcome with a code.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { ImageError, TooLargeError } from '../errors.js';
import { failureRecord } from '../index.js';
import { metadataName } from '../naming.js';
import { DEFAULT_OPTIONS, type ProcessOptions } from '../options.js';
import { WorkerFailedError } from '../runner/pool.js';
import type { ProcessResult } from '../types.js';
import type { InputFile } from './inputs.js';
import { OutputTree } from './write.js';

/** One written image, as reported in the summary. */
export interface WrittenImage {
  /** Path relative to the output root, `/` separated. */
  path: string;
  format: string;
  width: number;
  height: number;
  bytes: number;
}

/** What happened to one file. */
export interface JobOutcome {
  /** Relative name of the source. */
  name: string;
  /** Absolute path of the source. */
  source: string;
  status: 'succeeded' | 'failed';
  /** Milliseconds from reading to the last write. */
  ms: number;
  /** Detected format, when detection got that far. */
  format?: string;
  output?: WrittenImage;
  thumbnail?: WrittenImage;
  /** Path of the metadata document relative to the output root, when one was written. */
  metadata?: string;
  error?: { code: string; message: string };
}

/** Codes of failures outside the library (the library's own are in lib/errors.ts). */
export type CliErrorCode =
  | 'READ_FAILED'
  | 'WRITE_FAILED'
  | 'UNSAFE_PATH'
  | 'NAME_CONFLICT'
  | 'INTERNAL_ERROR'
  | 'WORKER_CRASHED';

/** Two inputs could produce outputs of the same name; the later one is not processed. */
export class NameConflictError extends Error {
  override readonly name = 'NameConflictError';
  readonly code = 'NAME_CONFLICT';
  constructor(name: string, earlier: string) {
    super(
      `${name} was not processed: its outputs could take the name of those of ${earlier}; rename one of them.`,
    );
  }
}

function codeOf(error: unknown, fallback: CliErrorCode): string {
  if (error instanceof ImageError) return error.code;
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'UNSAFE_PATH' || code === 'NAME_CONFLICT' ? code : fallback;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The first bytes of a file (enough to sniff its format) and its SHA-256, streamed. */
async function headAndHash(
  file: string,
  size: number,
): Promise<{ bytes: Uint8Array; size: number; sha256: string }> {
  const handle = await open(file);
  try {
    const head = new Uint8Array(Math.min(size, 4096));
    await handle.read(head, 0, head.length, 0);
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    return { bytes: head, size, sha256: hash.digest('hex') };
  } finally {
    await handle.close();
  }
}

/** What is known of a source that failed: its bytes, or its first bytes, size and hash. */
interface FailedSource {
  bytes: Uint8Array;
  size?: number;
  sha256?: string;
}

/** Writes the failure record of `file` and returns its failed outcome. */
async function writeFailure(
  file: InputFile,
  tree: OutputTree,
  error: unknown,
  source: FailedSource,
  fallback: CliErrorCode,
  started: number,
): Promise<JobOutcome> {
  const failure = { code: codeOf(error, fallback), message: messageOf(error) };
  const metadataFile = metadataName(file.name);
  const outcome = (extra: Partial<JobOutcome>): JobOutcome => ({
    name: file.name,
    source: file.path,
    status: 'failed',
    ms: Math.round(performance.now() - started),
    ...extra,
  });
  try {
    const record = failureRecord({ name: file.name, bytes: source.bytes }, error);
    // A file refused before reading: record its real size and hash, not the bytes sniffed.
    if (source.size !== undefined) record.source.bytes = source.size;
    if (source.sha256 !== undefined) record.source.sha256 = source.sha256;
    if (!(error instanceof ImageError)) {
      // Reading and writing may succeed on a retry; a bad name or a conflict will not.
      const permanent = !['READ_FAILED', 'INTERNAL_ERROR', 'WORKER_CRASHED'].includes(fallback);
      record.error = { ...failure, permanent };
    }
    await tree.write('metadata', metadataFile, `${JSON.stringify(record, null, 2)}\n`);
    return outcome({
      ...(record.source.format === undefined ? {} : { format: record.source.format }),
      metadata: tree.relative('metadata', metadataFile),
      error: failure,
    });
  } catch (writeError) {
    const message = `${failure.message} (and its failure record could not be written: ${messageOf(writeError)})`;
    return outcome({ error: { code: failure.code, message } });
  }
}

/** How a job has its bytes processed (the batch passes `ImagePool.process`). */
export type ProcessBytes = (
  bytes: Uint8Array,
  options: Partial<ProcessOptions>,
) => Promise<ProcessResult>;

/**
 * Processes `file` with `options` through `process` and writes its results into `tree`. Reading
 * and writing stay on this thread, so a worker stopped at the time limit leaves nothing half
 * written.
 */
export async function runJob(
  file: InputFile,
  options: Partial<ProcessOptions>,
  tree: OutputTree,
  process: ProcessBytes,
): Promise<JobOutcome> {
  const started = performance.now();
  const done = (outcome: Omit<JobOutcome, 'name' | 'source' | 'ms'>): JobOutcome => ({
    name: file.name,
    source: file.path,
    ms: Math.round(performance.now() - started),
    ...outcome,
  });
  const jobOptions = { ...options, name: file.name };
  const metadataFile = metadataName(file.name);

  const fail = (
    error: unknown,
    source: FailedSource,
    fallback: CliErrorCode,
  ): Promise<JobOutcome> => writeFailure(file, tree, error, source, fallback, started);

  let bytes: Uint8Array;
  try {
    const maxBytes = options.maxBytes ?? DEFAULT_OPTIONS.maxBytes;
    const size = (await stat(file.path)).size;
    // Refuse before reading: a 5 GB file must not be loaded just to be rejected.
    if (size > maxBytes) {
      const error = new TooLargeError(file.name, size, maxBytes);
      return await fail(error, await headAndHash(file.path, size), 'READ_FAILED');
    }
    bytes = await readFile(file.path);
  } catch (error) {
    return fail(error, { bytes: new Uint8Array(0) }, 'READ_FAILED');
  }

  if (file.conflictsWith !== undefined) {
    return fail(new NameConflictError(file.name, file.conflictsWith), { bytes }, 'NAME_CONFLICT');
  }

  let result;
  try {
    result = await process(bytes, jobOptions);
  } catch (error) {
    const fallback = error instanceof WorkerFailedError ? 'WORKER_CRASHED' : 'INTERNAL_ERROR';
    return fail(error, { bytes }, fallback);
  }

  try {
    const { output, thumbnail, metadata } = result;
    await tree.write('output', output.name, output.bytes);
    await tree.write('thumbnails', thumbnail.name, thumbnail.bytes);
    await tree.write('metadata', metadataFile, `${JSON.stringify(metadata, null, 2)}\n`);
    const written = (container: 'output' | 'thumbnails', image: typeof output): WrittenImage => ({
      path: tree.relative(container, image.name),
      format: image.format,
      width: image.width,
      height: image.height,
      bytes: image.bytes.byteLength,
    });
    return done({
      status: 'succeeded',
      ...(metadata.source.format === undefined ? {} : { format: metadata.source.format }),
      output: written('output', output),
      thumbnail: written('thumbnails', thumbnail),
      metadata: tree.relative('metadata', metadataFile),
    });
  } catch (error) {
    return done({
      status: 'failed',
      error: { code: codeOf(error, 'WRITE_FAILED'), message: messageOf(error) },
    });
  }
}
