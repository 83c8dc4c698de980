/**
 * Renditions: the images made from every input, each a box, a fit, a format and a quality,
 * written to a container of its own under the input's name. The defaults are the resized image
 * and the thumbnail. One validator serves the programmatic options, `IMG_RENDITIONS` and the
 * CLI's `--renditions`, so a bad list reads the same wherever it comes from.
 */
import { createHash } from 'node:crypto';
import { CROP_POSITIONS, type CropPosition } from './crop-position.js';
import { InvalidOptionError } from './errors.js';
import { LIBRARY_NAME, LIBRARY_VERSION } from './version.js';

/**
 * How a rendition fills its box. `inside`: the whole image inside the box, aspect kept, never
 * upscaled. `cover`: fills the box exactly, cropped at its `position` (never upscaled: a smaller
 * image gives a smaller result). `contain`: the whole image inside the box, no bars; the same
 * pixels as `inside` (kept as its own word because thumbnails were configured with it).
 */
export type Fit = 'inside' | 'cover' | 'contain';

/**
 * A rendition's format. `auto`: JPEG stays JPEG, PNG stays PNG, WebP stays WebP, AVIF stays AVIF;
 * GIF, BMP, TIFF and HEIF become PNG when any pixel is transparent, else JPEG.
 */
export type RenditionFormat = 'auto' | 'jpeg' | 'png' | 'webp' | 'avif';

/** One image made from every input. */
export interface RenditionSpec {
  /** Where it goes: a blob container (the function) or a folder (the CLI); distinct per list. */
  container: string;
  /** The box, in upright (displayed) pixels, 1-16384 each. */
  width: number;
  height: number;
  fit: Fit;
  format: RenditionFormat;
  /** 1-100 on each encoder's own scale (JPEG, WebP, AVIF); PNG ignores it. */
  quality: number;
  /**
   * True: an animated GIF or WebP stays animated, every frame resized (timing and loop count
   * kept), as an animated GIF (`auto` of a GIF) or WebP (`auto` of a WebP, or `webp`); other
   * formats and still inputs give the first frame, as without it. Absent when false.
   */
  animated?: boolean;
  /**
   * Where a `cover` rendition is cropped: `centre`, `entropy` (most detail) or `attention` (the
   * likely subject); see crop-position.ts. Other fits keep the whole image: `centre` only.
   * Absent means `centre` (the checked copies leave it out then, so lists written before
   * positions existed read, and fingerprint, as they did).
   */
  position?: CropPosition;
}

/** Today's outputs: the resized image (800x600 inside) and the thumbnail (150x150 cover). */
export const DEFAULT_RENDITIONS: readonly RenditionSpec[] = Object.freeze([
  Object.freeze<RenditionSpec>({
    container: 'output',
    width: 800,
    height: 600,
    fit: 'inside',
    format: 'auto',
    quality: 82,
  }),
  Object.freeze<RenditionSpec>({
    container: 'thumbnails',
    width: 150,
    height: 150,
    fit: 'cover',
    format: 'auto',
    quality: 82,
  }),
]);

/** At most this many renditions: each costs a resize, an encode and a write per image. */
export const MAX_RENDITIONS = 8;
/** Largest box side (the largest image the encoders are asked to make). */
const MAX_SIDE = 16384;
const FITS: readonly Fit[] = ['inside', 'cover', 'contain'];
const FORMATS: readonly RenditionFormat[] = ['auto', 'jpeg', 'png', 'webp', 'avif'];
/** Fields a list entry may leave out, and what they become. */
const ENTRY_DEFAULTS = { fit: 'inside', format: 'auto', quality: 82, position: 'centre' } as const;
const FIELDS: readonly (keyof RenditionSpec)[] = [
  'container',
  'width',
  'height',
  'fit',
  'format',
  'quality',
];
/** Fields an entry may add, set in the result only when true (the fingerprint of a list without them stays as it was). */
const FLAGS = ['animated'] as const;
/** Fields that enter a checked copy, and the fingerprint, only when they are not the default. */
const OPTIONAL_FIELDS = ['position'] as const;
/** Azure's rule for container names: 3-63 of a-z, 0-9 and single hyphens, not at either end. */
const CONTAINER_NAME = /^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/;

function integerIn(path: string, value: unknown, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidOptionError(path, `integer between 1 and ${max}`, value);
  }
  return value;
}

function oneOf<T extends string>(path: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new InvalidOptionError(path, allowed.map((word) => `'${word}'`).join(', '), value);
  }
  return value as T;
}

/** One entry, checked field by field; missing fit, format and quality take their defaults. */
function renditionAt(path: string, entry: unknown): RenditionSpec {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new InvalidOptionError(path, 'an object with container, width and height', entry);
  }
  const fields = entry as Record<string, unknown>;
  const known: readonly string[] = [...FIELDS, ...FLAGS, ...OPTIONAL_FIELDS];
  const unknown = Object.keys(fields).find((key) => !known.includes(key));
  if (unknown !== undefined) {
    throw new InvalidOptionError(
      `${path}.${unknown}`,
      `no field but ${known.join(', ')}`,
      fields[unknown],
    );
  }
  if (fields.animated !== undefined && typeof fields.animated !== 'boolean') {
    throw new InvalidOptionError(`${path}.animated`, 'boolean', fields.animated);
  }
  const { container } = fields;
  if (typeof container !== 'string' || !CONTAINER_NAME.test(container)) {
    throw new InvalidOptionError(
      `${path}.container`,
      'a container name of 3-63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit',
      container,
    );
  }
  const given = (field: keyof typeof ENTRY_DEFAULTS): unknown =>
    fields[field] === undefined ? ENTRY_DEFAULTS[field] : fields[field];
  const position = positionOf(`${path}.position`, given('position'), given('fit'));
  return {
    container,
    width: integerIn(`${path}.width`, fields.width, MAX_SIDE),
    height: integerIn(`${path}.height`, fields.height, MAX_SIDE),
    fit: oneOf(`${path}.fit`, given('fit'), FITS),
    format: oneOf(`${path}.format`, given('format'), FORMATS),
    quality: integerIn(`${path}.quality`, given('quality'), 100),
    ...(fields.animated === true ? { animated: true } : {}),
    ...(position === 'centre' ? {} : { position }),
  };
}

/** A crop position; other than `centre` only for a cover rendition (the others are not cropped). */
function positionOf(path: string, value: unknown, fit: unknown): CropPosition {
  const position = oneOf(path, value, CROP_POSITIONS);
  if (position !== 'centre' && fit !== 'cover') {
    throw new InvalidOptionError(
      path,
      `'centre' (a ${String(fit)} rendition is not cropped)`,
      value,
    );
  }
  return position;
}

/**
 * Checks a list of renditions and returns a copy with every field set: 1-8 entries, each with
 * a valid container name (distinct in the list), a box of 1-16384 pixels each way, a known fit
 * and format, a quality of 1-100, a known crop position (other than `centre` only for `cover`),
 * optionally `animated` (a boolean) and no other field. `path` names the list in messages
 * (`renditions`, `IMG_RENDITIONS`, `--renditions`); every error is an `InvalidOptionError`
 * naming the entry and the rule, e.g. "Expected integer between 1 and 16384 for
 * renditions[2].width but received 0 of type number".
 */
export function validateRenditions(list: unknown, path = 'renditions'): RenditionSpec[] {
  if (!Array.isArray(list) || list.length < 1 || list.length > MAX_RENDITIONS) {
    throw new InvalidOptionError(
      path,
      `a list of 1 to ${MAX_RENDITIONS} renditions`,
      Array.isArray(list) ? `a list of ${list.length}` : list,
    );
  }
  const renditions = list.map((entry, index) => renditionAt(`${path}[${index}]`, entry));
  renditions.forEach((rendition, index) => {
    const first = renditions.findIndex((other) => other.container === rendition.container);
    if (first !== index) {
      throw new InvalidOptionError(
        `${path}[${index}].container`,
        `a container not already used by ${path}[${first}]`,
        rendition.container,
      );
    }
  });
  return renditions;
}

/**
 * Parses and checks a JSON list of renditions, such as `IMG_RENDITIONS` or the CLI's
 * `--renditions`; `source` names it in every message. Entries may leave out `fit` ('inside'),
 * `format` ('auto'), `quality` (82) and `position` ('centre'). Throws `InvalidOptionError`.
 * Example: `parseRenditions('[{"container":"large","width":1600,"height":1200}]', 'IMG_RENDITIONS')`.
 */
export function parseRenditions(json: string, source: string): RenditionSpec[] {
  let list: unknown;
  try {
    list = JSON.parse(json);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidOptionError(source, `a JSON list of renditions (${reason})`, json);
  }
  return validateRenditions(list, source);
}

/**
 * Refuses renditions whose container is one the caller keeps for something else (the
 * function's input, metadata and dead-letter containers; the CLI's metadata folder): a result
 * written there would overwrite, or be mistaken for, another kind of blob. `source` names the
 * list in the message, as in `validateRenditions`.
 */
export function refuseReservedContainers(
  renditions: readonly RenditionSpec[],
  reserved: Readonly<Record<string, string>>,
  source: string,
): void {
  renditions.forEach((rendition, index) => {
    const use = reserved[rendition.container];
    if (use !== undefined) {
      throw new InvalidOptionError(
        `${source}[${index}].container`,
        `a container other than ${rendition.container} (${use})`,
        rendition.container,
      );
    }
  });
}

/** What changes the results' bytes: the fingerprint is taken of exactly this. */
interface FingerprintedSettings {
  renditions: readonly RenditionSpec[];
  shrinkOnLoad: boolean;
  includeGps: boolean;
  /** The web-ready results the metadata carries (see ProcessOptions); absent counts as on. */
  placeholder?: boolean;
  dominantColor?: boolean;
  perceptualHash?: boolean;
}

/** The web-ready results left out, when any is: settings that leave them on keep their old fingerprint. */
function webReadyOff(options: FingerprintedSettings): { webReadyOff?: string[] } {
  const off = (['placeholder', 'dominantColor', 'perceptualHash'] as const).filter(
    (name) => options[name] === false,
  );
  return off.length === 0 ? {} : { webReadyOff: off };
}

/**
 * A short hex fingerprint (the first 16 hex digits of a SHA-256) of everything that changes the
 * results' pixels or bytes: the renditions in order (crop position included), shrink-on-load,
 * whether GPS is kept, which web-ready results the metadata carries, and the library's name and
 * version. Settings added since the first fingerprints (a crop position, a web-ready result
 * turned off) enter only when they differ from their default, so settings that do not use them
 * keep the fingerprint they had. The same settings give the same fingerprint in every process,
 * so a metadata document records which settings made its results, and a later run can tell
 * results made with other settings (or another version) apart.
 */
export function renditionsFingerprint(options: FingerprintedSettings): string {
  const canonical = JSON.stringify({
    library: `${LIBRARY_NAME}@${LIBRARY_VERSION}`,
    renditions: options.renditions.map((rendition) => [
      ...FIELDS.map((field) => rendition[field]),
      ...FLAGS.filter((flag) => rendition[flag] === true),
      ...(rendition.position === undefined || rendition.position === 'centre'
        ? []
        : [rendition.position]),
    ]),
    shrinkOnLoad: options.shrinkOnLoad,
    includeGps: options.includeGps,
    ...webReadyOff(options),
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}
