/**
 * Options of the imaging core: every limit has a safe default, and one validator gives
 * every bad option the same message shape.
 */
import { InvalidOptionError } from './errors.js';
import { DEFAULT_RENDITIONS, validateRenditions, type RenditionSpec } from './renditions.js';
export { CROP_POSITIONS, type CropPosition } from './crop-position.js';

export {
  DEFAULT_RENDITIONS,
  MAX_RENDITIONS,
  parseRenditions,
  refuseReservedContainers,
  renditionsFingerprint,
  validateRenditions,
  type Fit,
  type RenditionFormat,
  type RenditionSpec,
} from './renditions.js';

/** Everything `processImage` can be told. All fields have defaults (see `DEFAULT_OPTIONS`). */
export interface ProcessOptions {
  /** Name of the input (relative path): used in messages, and the name of every result. */
  name: string;
  /** Content type the uploader declared; recorded, never trusted. */
  declaredContentType?: string | undefined;
  /**
   * The images to make, 1-8, in this order (see `RenditionSpec`); by default the resized image
   * and the thumbnail (`DEFAULT_RENDITIONS`).
   */
  renditions: readonly RenditionSpec[];
  /** Refuse images whose header declares more pixels than this, before decoding. */
  maxPixels: number;
  /** Refuse inputs with more bytes than this. */
  maxBytes: number;
  /**
   * An `animated` rendition of an animation with more frames than this is refused before any
   * frame is decoded (as is one whose frames hold more than `maxPixels` in all).
   */
  maxFrames: number;
  /** Keep GPS coordinates in the metadata document. */
  includeGps: boolean;
  /**
   * Decode JPEGs straight to a reduced size (DCT scaling) and PNGs through a box pre-shrink
   * while they decode, when that cannot cost quality; off decodes every JPEG and PNG at full
   * size first (slower, more memory; for comparisons).
   */
  shrinkOnLoad: boolean;
  /** Record a ThumbHash placeholder and its average colour (`image.placeholder`). */
  placeholder: boolean;
  /** Record the colour of the largest cluster of similar pixels (`image.dominantColor`). */
  dominantColor: boolean;
  /** Record a 64-bit perceptual hash for near-duplicates (`image.perceptualHash`). */
  perceptualHash: boolean;
}

/** The defaults, documented in the README. */
export const DEFAULT_OPTIONS: Readonly<ProcessOptions> = Object.freeze({
  name: 'input',
  declaredContentType: undefined,
  renditions: DEFAULT_RENDITIONS,
  maxPixels: 100_000_000,
  maxBytes: 100 * 1024 * 1024,
  maxFrames: 1000,
  includeGps: true,
  shrinkOnLoad: true,
  placeholder: true,
  dominantColor: true,
  perceptualHash: true,
});

const BOOLEAN_OPTIONS = [
  'includeGps',
  'shrinkOnLoad',
  'placeholder',
  'dominantColor',
  'perceptualHash',
] as const;

function positiveInteger(name: string, value: unknown, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidOptionError(name, `integer between 1 and ${max}`, value);
  }
  return value;
}

/**
 * Merges options over the defaults and validates every field; the renditions come back as a
 * checked copy with every field set (see `validateRenditions`).
 */
export function resolveOptions(options: Partial<ProcessOptions> = {}): ProcessOptions {
  const merged: ProcessOptions = { ...DEFAULT_OPTIONS, ...stripUndefined(options) };
  if (typeof merged.name !== 'string' || merged.name.length === 0) {
    throw new InvalidOptionError('name', 'non-empty string', merged.name);
  }
  merged.renditions = validateRenditions(merged.renditions);
  positiveInteger('maxPixels', merged.maxPixels);
  positiveInteger('maxBytes', merged.maxBytes);
  positiveInteger('maxFrames', merged.maxFrames);
  for (const flag of BOOLEAN_OPTIONS) {
    if (typeof merged[flag] !== 'boolean') {
      throw new InvalidOptionError(flag, 'boolean', merged[flag]);
    }
  }
  return merged;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
