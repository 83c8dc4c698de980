/**
 * One file, start to finish: read it, have its bytes processed (by the image pool of
 * lib/runner/), write every rendition to its folder under the file's own name and (last) the
 * metadata document; or,
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

/** One written rendition, as reported in the summary. */
export interface WrittenImage {
  /** The rendition's folder under the output root. */
  container: string;
  /** Path relative to the output root, `/` separated: `<container>/<name>`. */
  path: string;
  format: string;
  contentType: string;
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
  /** Every rendition written, in the order of the renditions asked for. */
  renditions?: WrittenImage[];
  /** Path of the metadata document relative to the output root, when one was written. */
  metadata?: string;
  error?: { code: string; message: string };
}

/** Codes of failures outside the library (the library's own are in lib/errors.ts). */
export type CliErrorCode = 'READ_FAILED' | 'WRITE_FAILED' | 'UNSAFE_PATH' | 'WORKER_CRASHED';

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
    const { renditions, metadata } = result;
    for (const rendition of renditions) {
      await tree.write(rendition.container, rendition.name, rendition.bytes);
    }
    await tree.write('metadata', metadataFile, `${JSON.stringify(metadata, null, 2)}\n`);
    return done({
      status: 'succeeded',
      ...(metadata.source.format === undefined ? {} : { format: metadata.source.format }),
      renditions: renditions.map((rendition): WrittenImage => ({
        container: rendition.container,
        path: tree.relative(rendition.container, rendition.name),
        format: rendition.format,
        contentType: rendition.contentType,
        width: rendition.width,
        height: rendition.height,
        bytes: rendition.bytes.byteLength,
      })),
      metadata: tree.relative('metadata', metadataFile),
    });
  } catch (error) {
    return done({
      status: 'failed',
      error: { code: codeOf(error, 'WRITE_FAILED'), message: messageOf(error) },
    });
  }
}
