/**
 * Command-line arguments of `serverless-img`: parsed with node:util's parseArgs, every
 * ProcessOptions field reachable, every bad value reported as a usage error (exit code 2).
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { ImageError } from '../errors.js';
import { resolveOptions, type ProcessOptions, type ThumbnailFit } from '../options.js';

/** A bad command line: the CLI prints the message and the usage, and exits with 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'USAGE';
}

/** What the user asked for. */
export interface CliArgs {
  help: boolean;
  /** Files and folders to process, as given. */
  inputs: string[];
  /** Root of the output tree. */
  out: string;
  /** Options for processImage, without `name` (set per file). */
  options: Partial<ProcessOptions>;
  /** Files processed at the same time, each in a worker thread. */
  concurrency: number;
  /** Time limit per file, in milliseconds. */
  timeoutMs: number;
  /** Print a machine-readable summary on stdout, and nothing else there. */
  json: boolean;
}

/** The help text, printed by --help and after a usage error. */
export const USAGE = `Usage: serverless-img process <files or folders...> --out <dir> [options]

Resizes every image to fit a box, makes a thumbnail and a metadata document, and writes
  <dir>/output/<name>   <dir>/thumbnails/<name>   <dir>/metadata/<name>.json
where <name> is the path relative to each folder named (a file named directly: its base name).
A file that cannot be processed gets a failure record in metadata/ and never stops the batch.

Options:
  --out <dir>               output root (required); nothing is written outside it
  --max-width <px>          box of the resized image (default 800)
  --max-height <px>         (default 600)
  --thumbnail-size <px>     thumbnail width and height (default 150)
  --thumbnail-width <px>    thumbnail width, overrides --thumbnail-size
  --thumbnail-height <px>   thumbnail height, overrides --thumbnail-size
  --fit cover|contain       thumbnail fit: crop around the centre, or letterbox (default cover)
  --quality <1-100>         JPEG quality (default 82)
  --max-pixels <n>          refuse images declaring more pixels (default 100000000)
  --max-bytes <n>           refuse files with more bytes (default 104857600)
  --no-gps                  leave GPS coordinates out of the metadata
  --no-shrink-on-load       decode JPEGs at full size (slower; for comparisons)
  --concurrency <n>         files processed in parallel, 1-64 (default: number of CPUs, at most 64)
  --timeout <seconds>       time limit per file, then it fails with TIMEOUT (default 120)
  --json                    print a JSON summary on stdout (progress and table go to stderr)
  -h, --help                show this help

Exit code: 0 when every file succeeded, 1 when any failed, 2 on a usage error.`;

/** Default time limit per file: generous, since a 100 MP image takes seconds. */
const DEFAULT_TIMEOUT_S = 120;

const INTEGER_OPTIONS = {
  'max-width': 'maxWidth',
  'max-height': 'maxHeight',
  'thumbnail-width': 'thumbnailWidth',
  'thumbnail-height': 'thumbnailHeight',
  quality: 'quality',
  'max-pixels': 'maxPixels',
  'max-bytes': 'maxBytes',
} as const satisfies Record<string, keyof ProcessOptions>;

/** parseArgs' declaration of the integer flags: each takes a value. */
const INTEGER_FLAGS = Object.fromEntries(
  Object.keys(INTEGER_OPTIONS).map((flag) => [flag, { type: 'string' }]),
) as Record<keyof typeof INTEGER_OPTIONS, { type: 'string' }>;

function integer(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) {
    throw new UsageError(`--${flag} expects a positive integer, got "${value}"`);
  }
  return Number(value);
}

/** Files processed at the same time at most, each with a worker thread and its codecs. */
const MAX_CONCURRENCY = 64;

/**
 * Parses `argv` (without node and the script); throws UsageError on anything wrong. Without
 * `--concurrency`, one file per CPU of `cpus` (the host's), at most MAX_CONCURRENCY.
 */
export function parseCliArgs(
  argv: readonly string[],
  cpus: number = availableParallelism(),
): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        out: { type: 'string', short: 'o' },
        ...INTEGER_FLAGS,
        'thumbnail-size': { type: 'string' },
        fit: { type: 'string' },
        'no-gps': { type: 'boolean' },
        'no-shrink-on-load': { type: 'boolean' },
        concurrency: { type: 'string' },
        timeout: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  const json = values.json ?? false;
  if (values.help) {
    return { help: true, inputs: [], out: '', options: {}, concurrency: 1, timeoutMs: 0, json };
  }

  const [command, ...inputs] = positionals;
  if (command !== 'process') {
    throw new UsageError(
      command === undefined ? 'No command given.' : `Unknown command "${command}".`,
    );
  }
  if (inputs.length === 0) throw new UsageError('No files or folders to process.');
  if (values.out === undefined || values.out.trim() === '') {
    throw new UsageError('--out <dir> is required.');
  }

  const options: Partial<ProcessOptions> = {};
  const size = integer('thumbnail-size', values['thumbnail-size']);
  if (size !== undefined) {
    options.thumbnailWidth = size;
    options.thumbnailHeight = size;
  }
  for (const [flag, field] of Object.entries(INTEGER_OPTIONS)) {
    const value = integer(flag, values[flag as keyof typeof INTEGER_OPTIONS]);
    if (value !== undefined) options[field] = value;
  }
  if (values.fit !== undefined) options.thumbnailFit = values.fit as ThumbnailFit;
  if (values['no-gps']) options.includeGps = false;
  if (values['no-shrink-on-load']) options.shrinkOnLoad = false;
  try {
    resolveOptions({ ...options, name: 'command line' });
  } catch (error) {
    if (error instanceof ImageError) throw new UsageError(error.message);
    throw error;
  }

  const concurrency = integer('concurrency', values.concurrency) ?? Math.min(cpus, MAX_CONCURRENCY);
  if (concurrency < 1 || concurrency > MAX_CONCURRENCY) {
    throw new UsageError(
      `--concurrency expects an integer between 1 and ${MAX_CONCURRENCY}, got ${concurrency}`,
    );
  }
  const timeout = values.timeout === undefined ? DEFAULT_TIMEOUT_S : Number(values.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0 || values.timeout?.trim() === '') {
    throw new UsageError(`--timeout expects a positive number of seconds, got "${values.timeout}"`);
  }
  const timeoutMs = Math.max(1, Math.round(timeout * 1000));
  return { help: false, inputs, out: values.out, options, concurrency, timeoutMs, json };
}
