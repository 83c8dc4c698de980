/**
 * One file, start to finish: read it, have its bytes processed (by the image pool of
 * lib/runner/), write the resized image, the thumbnail and (last) the metadata document; or,
 * when anything fails, write a failure record instead. Never throws: every problem becomes a
 * failed outcome with a code.
 */
import { readFile, stat } from 'node:fs/promises';
import { isCodedError, TooLargeError, type CodedError } from '../errors.js';
import { failureRecord, type FailedSource } from '../metadata.js';
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
  'READ_FAILED' | 'WRITE_FAILED' | 'UNSAFE_PATH' | 'NAME_CONFLICT' | 'WORKER_CRASHED';

/** A failure outside the library: the CLI's own code, and whether running again may help. */
export class CliError extends Error implements CodedError {
  override readonly name: string = 'CliError';
  constructor(
    readonly code: CliErrorCode,
    message: string,
    readonly permanent: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Two inputs could produce outputs of the same name; the later one is not processed. */
export class NameConflictError extends CliError {
  override readonly name = 'NameConflictError';
  constructor(name: string, earlier: string) {
    super(
      'NAME_CONFLICT',
      `${name} was not processed: its outputs could take the name of those of ${earlier}; rename one of them.`,
      true,
    );
  }
}

function codeOf(error: unknown, fallback: CliErrorCode): string {
  return isCodedError(error) ? error.code : fallback;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Writes the failure record of `file` and returns its failed outcome. */
async function writeFailure(
  file: InputFile,
  tree: OutputTree,
  error: unknown,
  source: Omit<FailedSource, 'name'>,
  started: number,
): Promise<JobOutcome> {
  const record = failureRecord({ ...source, name: file.name }, error);
  const failure = { code: record.error.code, message: record.error.message };
  const metadataFile = metadataName(file.name);
  const outcome = (extra: Partial<JobOutcome>): JobOutcome => ({
    name: file.name,
    source: file.path,
    status: 'failed',
    ms: Math.round(performance.now() - started),
    ...extra,
  });
  try {
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

  const fail = (error: unknown, source: Omit<FailedSource, 'name'>): Promise<JobOutcome> =>
    writeFailure(file, tree, error, source, started);

  let bytes: Uint8Array;
  try {
    const maxBytes = options.maxBytes ?? DEFAULT_OPTIONS.maxBytes;
    const size = (await stat(file.path)).size;
    // Refuse before reading: a 5 GB file must not be loaded just to be rejected.
    if (size > maxBytes) return await fail(new TooLargeError(file.name, size, maxBytes), { size });
    bytes = await readFile(file.path);
  } catch (error) {
    // Reading may succeed when run again.
    return fail(new CliError('READ_FAILED', messageOf(error), false, { cause: error }), {});
  }

  if (file.conflictsWith !== undefined) {
    return fail(new NameConflictError(file.name, file.conflictsWith), { bytes });
  }

  let result;
  try {
    result = await process(bytes, jobOptions);
  } catch (error) {
    // A worker that died says nothing about the image; anything else is the core's own error.
    const failure =
      error instanceof WorkerFailedError
        ? new CliError('WORKER_CRASHED', error.message, false, { cause: error })
        : error;
    return fail(failure, { bytes });
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
