/**
 * The whole flow of one image: sniff -> guard -> exif -> decode -> resize -> colour -> orient ->
 * the web-ready stages (web-ready.ts: sample, position, placeholder, dominantColor,
 * perceptualHash) -> thumbnail (every rendition's pixels) -> encode -> metadata. Each stage runs in its own span and
 * is timed; `processImage` reads as that list, and each stage's work is a named step below it.
 * The image is decoded once, to the size the largest rendition needs (see plan.ts for how each
 * rendition is made from it).
 */
import type { Span } from '@opentelemetry/api';
import { animateRenditions, guardAnimation } from './animation/index.js';
import { decodeImage, type DecodedImage } from './decode.js';
import { chooseFormat, contentTypeOf, encodeBitmap } from './encode.js';
import {
  EmptyInputError,
  InvalidOptionError,
  UnsupportedFormatError,
  toImageError,
} from './errors.js';
import { readExif } from './exif.js';
import { guardInput, type Dimensions } from './guard.js';
import { decideColour, type ColourDecision } from './colour.js';
import { extractIccProfile, parseIccProfile, type IccProfile } from './icc.js';
import { readJpegMarkers, type JpegMarkers } from './jpeg/markers.js';
import { sha256Hex, successRecord } from './metadata.js';
import { renditionsFingerprint, resolveOptions, type ProcessOptions } from './options.js';
import { applyOrientation, swapsAxes } from './orient.js';
import { decodeTarget, planRenditions, type RenditionStep } from './plan.js';
import { coverBox, resizeBitmap, resizePlanes, type Focus, type Size } from './resize.js';
import { sniffFormat } from './sniff.js';
import { imageAttributes, inSpan } from './tracing.js';
import { webReadyStages } from './web-ready.js';
import type {
  Bitmap,
  EncodedRendition,
  ImageFormat,
  ImageInfo,
  ProcessResult,
  SourceInfo,
} from './types.js';

/**
 * Processes one image: returns one encoded image per rendition of the options (by default the
 * resized image for `output/` and the thumbnail for `thumbnails/`), each under the input's own
 * name, and the metadata record. Throws only ImageError subclasses (stable `code`, `permanent`
 * flag): a deliberate refusal where one was raised, `INTERNAL` for anything else thrown inside
 * (a bug, not the image).
 * Example: `const { renditions, metadata } = await processImage(bytes, { name: 'a/b.jpg' })`.
 */
export async function processImage(
  bytes: Uint8Array,
  options: Partial<ProcessOptions> = {},
): Promise<ProcessResult> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('options', 'object', options);
  }
  const settings = resolveOptions(options);
  const { stage, timingsMs } = timedStages();
  try {
    const format = await stage('sniff', (span) => sniff(bytes, settings.name, span));
    const source = await stage('guard', (span) => guard(bytes, format, settings, span));
    const { exif, orientation } = await stage('exif', (span) => exifOf(source, settings, span));
    const plan = planDecode(source.declared, orientation, settings);
    const decoded = await stage('decode', (span) => decode(source, plan, settings, span));
    // Pixels a decoder made upright (HEIF) are not turned again.
    const turn = decoded.info.upright ? 1 : orientation;
    const { wholes, steps } = planFor(decoded, { ...plan, swap: swapsAxes(turn) }, settings);
    const resized = await stage('resize', (span) => resize(decoded, wholes, span));
    const colour = await stage('colour', (span) => colourCorrect(source, decoded, resized, span));
    const upright = await stage('orient', (span) => orient(colour.corrected, turn, span));
    const web = await webReadyStages(stage, upright, steps, settings);
    // Named 'thumbnail' as before renditions existed: dashboards and traces key on it.
    const bitmaps = await stage('thumbnail', (span) =>
      renditionBitmaps(upright, steps, decoded.info.hasAlpha, web.focuses, span),
    );
    const stills = await stage('encode', (span) =>
      encode(bitmaps, source, decoded, settings, span),
    );
    // Only for `animated` renditions: every frame, resized and encoded (lib/animation/).
    const renditions = settings.renditions.some((rendition) => rendition.animated)
      ? await stage('animate', () => animate(source, settings, orientation, stills))
      : stills;
    const metadata = await stage('metadata', () =>
      successRecord({
        source: sourceInfo(source, settings),
        image: { ...imageInfo(decoded, orientation, colour), ...web.info },
        exif,
        renditions,
        settings: {
          fingerprint: renditionsFingerprint(settings),
          renditions: settings.renditions.map((rendition) => ({ ...rendition })),
        },
        timingsMs,
      }),
    );
    return { renditions, metadata };
  } catch (error) {
    throw toImageError(settings.name, error);
  }
}

/** Runs each stage in its own span and records its time in milliseconds. */
function timedStages(): {
  stage: <T>(name: string, work: (span: Span) => Promise<T> | T) => Promise<T>;
  timingsMs: Record<string, number>;
} {
  const timingsMs: Record<string, number> = {};
  const stage = async <T>(name: string, work: (span: Span) => Promise<T> | T): Promise<T> => {
    const started = performance.now();
    try {
      return await inSpan(`image.${name}`, work);
    } finally {
      timingsMs[name] = Math.round((performance.now() - started) * 100) / 100;
    }
  };
  return { stage, timingsMs };
}

/** The input bytes, their format, and what the guard read of their container. */
interface GuardedSource {
  bytes: Uint8Array;
  format: ImageFormat;
  declared: Dimensions;
  /** A JPEG's markers, walked once here and shared by the stages after. */
  jpeg: JpegMarkers | undefined;
}

/** Stage sniff: the format, from magic bytes only. */
function sniff(bytes: Uint8Array, name: string, span: Span): ImageFormat {
  span.setAttributes(imageAttributes({ 'input.bytes': bytes.length }));
  if (bytes.length === 0) throw new EmptyInputError(name);
  const format = sniffFormat(bytes);
  if (!format) throw new UnsupportedFormatError(name, describeStart(bytes));
  span.setAttributes(imageAttributes({ format }));
  return format;
}

/** A short, printable description of the first bytes, for UNSUPPORTED_FORMAT messages. */
function describeStart(bytes: Uint8Array): string {
  const hex = Array.from(bytes.subarray(0, 8), (byte) => byte.toString(16).padStart(2, '0')).join(
    ' ',
  );
  return `unrecognised signature ${hex}`;
}

/** Stage guard: the declared size, within the limits, before anything is decoded. */
function guard(
  bytes: Uint8Array,
  format: ImageFormat,
  settings: ProcessOptions,
  span: Span,
): GuardedSource {
  const jpeg = format === 'jpeg' ? readJpegMarkers(bytes) : undefined;
  const declared = guardInput(bytes, format, settings, jpeg);
  guardAnimation(bytes, format, settings);
  span.setAttributes(imageAttributes({ width: declared.width, height: declared.height }));
  return { bytes, format, declared, jpeg };
}

/** Stage exif: the EXIF fields and the orientation. */
async function exifOf(
  source: GuardedSource,
  settings: ProcessOptions,
  span: Span,
): ReturnType<typeof readExif> {
  const read = await readExif(source.bytes, source.format, settings.includeGps);
  span.setAttributes(imageAttributes({ orientation: read.orientation }));
  return read;
}

/** What the decode stage aims for. */
interface DecodePlan {
  /** Whether the EXIF orientation swaps width and height (the boxes are upright). */
  swap: boolean;
  /** The smallest decoded size that serves every rendition, stored orientation. */
  target: Size;
}

function planDecode(declared: Size, orientation: number, settings: ProcessOptions): DecodePlan {
  const swap = swapsAxes(orientation);
  return { swap, target: decodeTarget(declared, settings.renditions, swap) };
}

/** Stage decode: pixels at the smallest size that serves every rendition. */
async function decode(
  source: GuardedSource,
  plan: DecodePlan,
  settings: ProcessOptions,
  span: Span,
): Promise<DecodedImage> {
  const result = await decodeImage({
    bytes: source.bytes,
    format: source.format,
    jpeg: source.jpeg,
    name: settings.name,
    targetBox: plan.target,
    shrinkOnLoad: settings.shrinkOnLoad,
    planes: true,
  });
  const decodedSize = result.kind === 'bitmap' ? result.bitmap : result.planes;
  span.setAttributes(
    imageAttributes({
      format: source.format,
      width: result.width,
      height: result.height,
      'decoded.width': decodedSize.width,
      'decoded.height': decodedSize.height,
      'decoded.planes': result.kind === 'planes',
      has_alpha: result.info.hasAlpha,
    }),
  );
  return result;
}

/** The renditions' plan (see plan.ts), made on the decoded image's real size. */
function planFor(decoded: DecodedImage, plan: DecodePlan, settings: ProcessOptions) {
  const full = { width: decoded.width, height: decoded.height };
  return planRenditions(full, settings.renditions, plan.swap);
}

/**
 * Stage resize: the decoded image to each whole-image size of the plan. Planes are filtered
 * one component at a time, then converted.
 */
function resize(decoded: DecodedImage, wholes: readonly Size[], span: Span): Bitmap[] {
  span.setAttributes(imageAttributes({ width: wholes[0]?.width, height: wholes[0]?.height }));
  return wholes.map((target) =>
    decoded.kind === 'planes'
      ? resizePlanes(decoded.planes, target)
      : resizeBitmap(decoded.bitmap, target, decoded.info.hasAlpha, decoded.extent),
  );
}

/** What the colour stage found: the embedded profile, and what was done with it. */
interface ColourCorrection extends ColourDecision {
  profile: IccProfile | undefined;
  /** The resized images, converted to sRGB when `transform` applies. */
  corrected: Bitmap[];
}

/** Stage colour: the embedded ICC profile and its conversion to sRGB (see colour.ts). */
async function colourCorrect(
  source: GuardedSource,
  decoded: DecodedImage,
  resized: Bitmap[],
  span: Span,
): Promise<ColourCorrection> {
  const raw = extractIccProfile(source.bytes, source.format, source.jpeg);
  const profile = raw ? parseIccProfile(raw) : undefined;
  const decision = await decideColour(raw, profile, decoded.info);
  const { transform, applied, warning } = decision;
  span.setAttributes(
    imageAttributes({
      icc_profile: profile?.description,
      icc_applied: applied,
      icc_warning: warning,
    }),
  );
  return {
    ...decision,
    profile,
    corrected: transform ? resized.map((bitmap) => transform(bitmap)) : resized,
  };
}

/** Stage orient: upright per the EXIF orientation. */
function orient(bitmaps: Bitmap[], orientation: number, span: Span): Bitmap[] {
  span.setAttributes(imageAttributes({ orientation }));
  return bitmaps.map((bitmap) => applyOrientation(bitmap, orientation));
}

/**
 * Stage thumbnail: every rendition's pixels from the upright whole images: a fitted rendition
 * is its whole image; a cover one is cut from its whole image, around its focus (the centre
 * unless the stage position chose another).
 */
function renditionBitmaps(
  wholes: readonly Bitmap[],
  steps: readonly RenditionStep[],
  hasAlpha: boolean,
  focuses: readonly Focus[],
  span: Span,
): Bitmap[] {
  const bitmaps = steps.map(({ whole, cover }, index) => {
    const bitmap = wholes[whole]!;
    return cover ? coverBox(bitmap, cover, hasAlpha, focuses[index]) : bitmap;
  });
  span.setAttributes(imageAttributes({ renditions: bitmaps.length }));
  return bitmaps;
}

/** Stage encode: each rendition in its format (see chooseFormat), under the input's name. */
async function encode(
  bitmaps: readonly Bitmap[],
  source: GuardedSource,
  decoded: DecodedImage,
  settings: ProcessOptions,
  span: Span,
): Promise<EncodedRendition[]> {
  const hasAlpha = decoded.info.hasAlpha;
  const renditions: EncodedRendition[] = [];
  for (const [index, rendition] of settings.renditions.entries()) {
    const bitmap = bitmaps[index]!;
    const format = chooseFormat(rendition.format, source.format, hasAlpha);
    renditions.push({
      container: rendition.container,
      name: settings.name,
      format,
      contentType: contentTypeOf(format),
      width: bitmap.width,
      height: bitmap.height,
      bytes: await encodeBitmap(bitmap, format, rendition.quality, hasAlpha),
    });
  }
  span.setAttributes(
    imageAttributes({
      renditions: renditions.length,
      'output.formats': [...new Set(renditions.map((rendition) => rendition.format))].join(','),
      'output.bytes': renditions.reduce((sum, rendition) => sum + rendition.bytes.length, 0),
    }),
  );
  return renditions;
}

/** Stage animate: the `animated` renditions of an animated GIF or WebP, every frame kept. */
function animate(
  source: GuardedSource,
  settings: ProcessOptions,
  orientation: number,
  stills: EncodedRendition[],
): Promise<EncodedRendition[]> {
  const { bytes, format } = source;
  return animateRenditions(
    { bytes, format, name: settings.name, orientation },
    settings.renditions,
    stills,
  );
}

/** The source as the metadata record describes it. */
function sourceInfo(source: GuardedSource, settings: ProcessOptions): SourceInfo {
  return {
    name: settings.name,
    bytes: source.bytes.length,
    sha256: sha256Hex(source.bytes),
    format: source.format,
    ...(settings.declaredContentType ? { declaredContentType: settings.declaredContentType } : {}),
  };
}

/** The decoded image as the metadata record describes it. */
function imageInfo(
  decoded: DecodedImage,
  orientation: number,
  colour: ColourCorrection,
): ImageInfo {
  const { info } = decoded;
  const { profile } = colour;
  // The stored size, as for every format, also when the decoder returned it upright.
  const turned = info.upright === true && swapsAxes(orientation);
  return {
    width: turned ? decoded.height : decoded.width,
    height: turned ? decoded.width : decoded.height,
    orientation,
    hasAlpha: info.hasAlpha,
    bitDepth: info.bitDepth,
    // 'rgb': RGB pixels in a space other than sRGB, as the embedded profile says.
    colorSpace:
      info.colorSpace === 'srgb' && profile && !profile.isSrgb && profile.colorSpace === 'RGB'
        ? 'rgb'
        : info.colorSpace,
    ...(profile ? { iccProfile: profile.description, iccApplied: colour.applied } : {}),
    ...(colour.warning ? { iccWarning: colour.warning } : {}),
    animated: info.animated,
    ...(info.frameCount === undefined ? {} : { frameCount: info.frameCount }),
    ...(info.progressive === undefined ? {} : { progressive: info.progressive }),
  };
}
