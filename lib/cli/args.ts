/**
 * Command-line arguments of `serverless-img`: parsed with node:util's parseArgs, every
 * ProcessOptions field reachable, every bad value reported as a usage error (exit code 2).
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { ImageError } from '../errors.js';
import {
  CROP_POSITIONS,
  DEFAULT_RENDITIONS,
  parseRenditions,
  refuseReservedContainers,
  resolveOptions,
  type CropPosition,
  type Fit,
  type ProcessOptions,
  type RenditionSpec,
} from '../options.js';

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
  /**
   * `--renditions` named a file: the caller reads it with `readRenditionsFile` (lib/cli/inputs.ts)
   * and sets `options.renditions`. A list given inline is already in `options.renditions`.
   */
  renditionsFile?: string;
  /** Files processed at the same time, each in a worker thread. */
  concurrency: number;
  /** Time limit per file, in milliseconds. */
  timeoutMs: number;
  /** Print a machine-readable summary on stdout, and nothing else there. */
  json: boolean;
}

/** The help text, printed by --help and after a usage error. */
export const USAGE = `Usage: serverless-img process <files or folders...> --out <dir> [options]

Makes every rendition of every image and a metadata document, and writes
  <dir>/<container>/<name> per rendition   <dir>/metadata/<name>.json
By default the renditions are the resized image (output/) and the thumbnail (thumbnails/).
<name> is the path relative to each folder named (a file named directly: its base name), kept
as it is whatever the format written. A file that cannot be processed gets a failure record in
metadata/ and never stops the batch.

Options:
  --out <dir>               output root (required); nothing is written outside it
  --renditions <list>       the renditions, a JSON list or a file holding one (a path, or
                            @path), up to 8 entries of {"container", "width", "height",
                            "fit": "inside"|"cover"|"contain", "format": "auto"|"jpeg"|"png"|
                            "webp"|"avif", "quality", "position": "centre"|"entropy"|
                            "attention"}; fit, format, quality and position may be left out
  --max-width <px>          box of the resized image (default 800)
  --max-height <px>         (default 600)
  --thumbnail-size <px>     thumbnail width and height (default 150)
  --thumbnail-width <px>    thumbnail width, overrides --thumbnail-size
  --thumbnail-height <px>   thumbnail height, overrides --thumbnail-size
  --fit cover|contain       thumbnail fit: crop, or fit inside (default cover)
  --position <where>        where the cover thumbnail is cropped: centre (default), entropy
                            (most detail) or attention (the likely subject)
  --quality <1-100>         quality of both (default 82)
                            (the seven above change the two default renditions; not with
                            --renditions)
  --max-pixels <n>          refuse images declaring more pixels (default 100000000)
  --max-bytes <n>           refuse files with more bytes (default 104857600)
  --max-frames <n>          refuse animated renditions of animations with more frames (default 1000)
  --no-gps                  leave GPS coordinates out of the metadata
  --no-shrink-on-load       decode JPEGs at full size (slower; for comparisons)
  --no-placeholder          leave the ThumbHash placeholder out of the metadata
  --no-dominant-color       leave the dominant colour out of the metadata
  --no-perceptual-hash      leave the perceptual hash out of the metadata
  --concurrency <n>         files processed in parallel, 1-64 (default: number of CPUs, at most 64)
  --timeout <seconds>       time limit per file, then it fails with TIMEOUT (default 120)
  --json                    print a JSON summary on stdout (progress and table go to stderr)
  -h, --help                show this help

Exit code: 0 when every file succeeded, 1 when any failed, 2 on a usage error.`;

/** Default time limit per file: generous, since a 100 MP image takes seconds. */
const DEFAULT_TIMEOUT_S = 120;

const LIMIT_OPTIONS = {
  'max-pixels': 'maxPixels',
  'max-bytes': 'maxBytes',
  'max-frames': 'maxFrames',
} as const satisfies Record<string, keyof ProcessOptions>;

/** The flags that change the two default renditions. */
const DEFAULT_RENDITION_FLAGS = [
  'max-width',
  'max-height',
  'thumbnail-size',
  'thumbnail-width',
  'thumbnail-height',
  'quality',
] as const;

/** The flags of the default renditions that take a word rather than a number. */
const WORD_FLAGS = ['fit', 'position'] as const;
type RenditionFlag = (typeof DEFAULT_RENDITION_FLAGS)[number] | (typeof WORD_FLAGS)[number];

/** The `--no-*` flags of the web-ready results, and the option each turns off. */
const WEB_READY_FLAGS = {
  'no-placeholder': 'placeholder',
  'no-dominant-color': 'dominantColor',
  'no-perceptual-hash': 'perceptualHash',
} as const satisfies Record<string, keyof ProcessOptions>;

/** parseArgs' declaration of the integer flags: each takes a value. */
const INTEGER_FLAGS = Object.fromEntries(
  [...Object.keys(LIMIT_OPTIONS), ...DEFAULT_RENDITION_FLAGS].map((flag) => [
    flag,
    { type: 'string' },
  ]),
) as Record<
  keyof typeof LIMIT_OPTIONS | (typeof DEFAULT_RENDITION_FLAGS)[number],
  { type: 'string' }
>;

function integer(flag: string, value: string | undefined, max?: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) {
    throw new UsageError(`--${flag} expects a positive integer, got "${value}"`);
  }
  const number = Number(value);
  if (max !== undefined && (number < 1 || number > max)) {
    throw new UsageError(`--${flag} expects an integer between 1 and ${max}, got ${number}`);
  }
  return number;
}

/** Largest box side a flag may give (as for a rendition). */
const MAX_SIDE = 16384;
/** What the CLI keeps its metadata folder for: no rendition may be written there. */
const RESERVED_FOLDERS = { metadata: 'the CLI writes the metadata documents there' };

/**
 * A `--renditions` list (the text given, or a file's content), checked: the library's rules,
 * and no rendition in the metadata folder. Throws UsageError with the library's message, which
 * names the entry and the rule.
 */
export function parseRenditionsArgument(text: string): RenditionSpec[] {
  try {
    const renditions = parseRenditions(text, '--renditions');
    refuseReservedContainers(renditions, RESERVED_FOLDERS, '--renditions');
    return renditions;
  } catch (error) {
    if (error instanceof ImageError) throw new UsageError(error.message);
    throw error;
  }
}

/** The two default renditions as the flags change them; undefined when no flag is given. */
function defaultRenditionsFromFlags(
  values: Partial<Record<RenditionFlag, string>>,
): RenditionSpec[] | undefined {
  if (![...DEFAULT_RENDITION_FLAGS, ...WORD_FLAGS].some((flag) => values[flag] !== undefined)) {
    return undefined;
  }
  const [output, thumbnail] = DEFAULT_RENDITIONS as [RenditionSpec, RenditionSpec];
  const side = (flag: (typeof DEFAULT_RENDITION_FLAGS)[number]) =>
    integer(flag, values[flag], MAX_SIDE);
  const size = side('thumbnail-size');
  const quality = integer('quality', values.quality, 100);
  const fit = values.fit;
  if (fit !== undefined && fit !== 'cover' && fit !== 'contain' && fit !== 'inside') {
    throw new UsageError(`--fit expects cover or contain, got "${fit}"`);
  }
  const position = thumbnailPosition(values.position, fit ?? thumbnail.fit);
  return [
    {
      ...output,
      width: side('max-width') ?? output.width,
      height: side('max-height') ?? output.height,
      quality: quality ?? output.quality,
    },
    {
      ...thumbnail,
      width: side('thumbnail-width') ?? size ?? thumbnail.width,
      height: side('thumbnail-height') ?? size ?? thumbnail.height,
      fit: (fit as Fit | undefined) ?? thumbnail.fit,
      quality: quality ?? thumbnail.quality,
      ...(position === undefined ? {} : { position }),
    },
  ];
}

/** `--position`, checked: a known word, and other than centre only for a cover thumbnail. */
function thumbnailPosition(value: string | undefined, fit: string): CropPosition | undefined {
  if (value === undefined) return undefined;
  if (!(CROP_POSITIONS as readonly string[]).includes(value)) {
    throw new UsageError(`--position expects ${CROP_POSITIONS.join(', ')}, got "${value}"`);
  }
  if (value !== 'centre' && fit !== 'cover') {
    throw new UsageError(`--position ${value} crops: it needs --fit cover, not ${fit}`);
  }
  return value === 'centre' ? undefined : (value as CropPosition);
}

/**
 * The renditions the command line asks for: `--renditions` (inline, or the file to read), or
 * the defaults as the flags change them, or nothing (the library's defaults).
 */
function renditionsOf(values: Partial<Record<RenditionFlag | 'renditions', string>>): {
  renditions?: RenditionSpec[];
  renditionsFile?: string;
} {
  const fromFlags = defaultRenditionsFromFlags(values);
  const given = values.renditions;
  if (given === undefined) return fromFlags ? { renditions: fromFlags } : {};
  if (fromFlags) {
    throw new UsageError(
      '--renditions replaces the default renditions that --max-width, --max-height, --thumbnail-*, --fit, --position and --quality change; set them in the list instead.',
    );
  }
  const text = given.trim();
  if (text.startsWith('[') || text.startsWith('{')) {
    return { renditions: parseRenditionsArgument(given) };
  }
  const file = text.startsWith('@') ? text.slice(1) : text;
  if (file === '') throw new UsageError('--renditions expects a JSON list or a file path.');
  return { renditionsFile: file };
}

/** The options the `--no-*` flags turn off. */
function switchedOff(values: Partial<Record<string, unknown>>): Partial<ProcessOptions> {
  const flags = { 'no-gps': 'includeGps', 'no-shrink-on-load': 'shrinkOnLoad', ...WEB_READY_FLAGS };
  return Object.fromEntries(
    Object.entries(flags)
      .filter(([flag]) => values[flag] === true)
      .map(([, field]) => [field, false]),
  );
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
        renditions: { type: 'string' },
        fit: { type: 'string' },
        position: { type: 'string' },
        'no-gps': { type: 'boolean' },
        'no-placeholder': { type: 'boolean' },
        'no-dominant-color': { type: 'boolean' },
        'no-perceptual-hash': { type: 'boolean' },
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
  const { renditions, renditionsFile } = renditionsOf(values);
  if (renditions) options.renditions = renditions;
  for (const [flag, field] of Object.entries(LIMIT_OPTIONS)) {
    const value = integer(flag, values[flag as keyof typeof LIMIT_OPTIONS]);
    if (value !== undefined) options[field] = value;
  }
  Object.assign(options, switchedOff(values));
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
  return {
    help: false,
    inputs,
    out: values.out,
    options,
    ...(renditionsFile === undefined ? {} : { renditionsFile }),
    concurrency,
    timeoutMs,
    json,
  };
}
