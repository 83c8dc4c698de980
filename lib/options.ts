/**
 * Options of the imaging core: every limit has a safe default, and one validator gives
 * every bad option the same message shape.
 */
import { InvalidOptionError } from './errors.js';

/** How the thumbnail fills its box: `cover` crops around the centre, `contain` fits inside (no bars). */
export type ThumbnailFit = 'cover' | 'contain';

/** Everything `processImage` can be told. All fields have defaults (see `DEFAULT_OPTIONS`). */
export interface ProcessOptions {
  /** Name of the input, used in messages and to derive output names (relative path). */
  name: string;
  /** Content type the uploader declared; recorded, never trusted. */
  declaredContentType?: string | undefined;
  /** Box the resized image must fit inside, aspect kept, never upscaled. */
  maxWidth: number;
  maxHeight: number;
  /** Thumbnail box. */
  thumbnailWidth: number;
  thumbnailHeight: number;
  thumbnailFit: ThumbnailFit;
  /** JPEG quality, 1-100. */
  quality: number;
  /** Refuse images whose header declares more pixels than this, before decoding. */
  maxPixels: number;
  /** Refuse inputs with more bytes than this. */
  maxBytes: number;
  /** Keep GPS coordinates in the metadata document. */
  includeGps: boolean;
  /**
   * Decode JPEGs straight to a reduced size (DCT scaling) when that cannot cost quality; off
   * decodes every JPEG at full size first (slower, more memory; for comparisons).
   */
  shrinkOnLoad: boolean;
}

/** The defaults, documented in the README. */
export const DEFAULT_OPTIONS: Readonly<ProcessOptions> = Object.freeze({
  name: 'input',
  declaredContentType: undefined,
  maxWidth: 800,
  maxHeight: 600,
  thumbnailWidth: 150,
  thumbnailHeight: 150,
  thumbnailFit: 'cover',
  quality: 82,
  maxPixels: 100_000_000,
  maxBytes: 100 * 1024 * 1024,
  includeGps: true,
  shrinkOnLoad: true,
});

function positiveInteger(name: string, value: unknown, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidOptionError(name, `integer between 1 and ${max}`, value);
  }
  return value;
}

/** Merges options over the defaults and validates every field. */
export function resolveOptions(options: Partial<ProcessOptions> = {}): ProcessOptions {
  const merged: ProcessOptions = { ...DEFAULT_OPTIONS, ...stripUndefined(options) };
  if (typeof merged.name !== 'string' || merged.name.length === 0) {
    throw new InvalidOptionError('name', 'non-empty string', merged.name);
  }
  const dimension = 16384;
  positiveInteger('maxWidth', merged.maxWidth, dimension);
  positiveInteger('maxHeight', merged.maxHeight, dimension);
  positiveInteger('thumbnailWidth', merged.thumbnailWidth, dimension);
  positiveInteger('thumbnailHeight', merged.thumbnailHeight, dimension);
  positiveInteger('quality', merged.quality, 100);
  positiveInteger('maxPixels', merged.maxPixels);
  positiveInteger('maxBytes', merged.maxBytes);
  if (merged.thumbnailFit !== 'cover' && merged.thumbnailFit !== 'contain') {
    throw new InvalidOptionError('thumbnailFit', "'cover' or 'contain'", merged.thumbnailFit);
  }
  for (const flag of ['includeGps', 'shrinkOnLoad'] as const) {
    if (typeof merged[flag] !== 'boolean') {
      throw new InvalidOptionError(flag, 'boolean', merged[flag]);
    }
  }
  return merged;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
