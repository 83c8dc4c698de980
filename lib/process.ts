/**
 * The whole flow of one image: sniff -> guard -> exif -> decode -> resize -> colour -> orient ->
 * thumbnail -> encode -> metadata. Each stage runs in its own span and is timed; `processImage`
 * reads as that list, and each stage's work is a named step below it.
 */
import type { Span } from '@opentelemetry/api';
import { decodeImage, type DecodedImage } from './decode.js';
import { encodeBitmap, outputFormatFor } from './encode.js';
import {
  EmptyInputError,
  InvalidOptionError,
  UnsupportedFormatError,
  toImageError,
} from './errors.js';
import { readExif } from './exif.js';
import { guardInput, type Dimensions } from './guard.js';
import { extractIccProfile, parseIccProfile, type IccProfile } from './icc.js';
import { readJpegMarkers, type JpegMarkers } from './jpeg/markers.js';
import { sha256Hex, successRecord } from './metadata.js';
import { outputName } from './naming.js';
import { resolveOptions, type ProcessOptions } from './options.js';
import { applyOrientation, swapsAxes } from './orient.js';
import { fitInside, makeThumbnail, resizeBitmap, resizePlanes, type Size } from './resize.js';
import { sniffFormat } from './sniff.js';
import { imageAttributes, inSpan } from './tracing.js';
import type {
  Bitmap,
  EncodedImage,
  ImageFormat,
  ImageInfo,
  OutputFormat,
  ProcessResult,
  SourceInfo,
} from './types.js';

/**
 * Processes one image: returns the resized image, the thumbnail and the metadata record.
 * Throws only ImageError subclasses (stable `code`, `permanent` flag): a deliberate refusal
 * where one was raised, `INTERNAL` for anything else thrown inside (a bug, not the image).
 * Example: `const { output, thumbnail, metadata } = await processImage(bytes, { name: 'a/b.jpg' })`.
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
    const plan = planSizes(source.declared, orientation, settings);
    const decoded = await stage('decode', (span) => decode(source, plan, settings, span));
    const resized = await stage('resize', (span) => resize(decoded, plan, span));
    const colour = await stage('colour', (span) => colourCorrect(source, decoded, resized, span));
    const upright = await stage('orient', (span) => orient(colour.corrected, orientation, span));
    const thumbnail = await stage('thumbnail', (span) =>
      thumbnailOf({ decoded, resized, upright, colour, orientation, plan, settings }, span),
    );
    const outputs = await stage('encode', (span) =>
      encode(upright, thumbnail, decoded, settings, span),
    );
    const metadata = await stage('metadata', () =>
      successRecord({
        source: sourceInfo(source, settings),
        image: imageInfo(decoded, orientation, colour),
        exif,
        output: outputs.output,
        thumbnail: outputs.thumbnail,
        timingsMs,
      }),
    );
    return { ...outputs, metadata };
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

/** The boxes of both outputs in stored orientation, and the size to decode to. */
interface SizePlan {
  /** The resize box (rotated images swap it). */
  box: Size;
  /** The thumbnail box. */
  thumbnailBox: Size;
  /** The smallest decoded size that serves both outputs (see decodeTarget). */
  target: Size;
  /** Whether the decode may return planes: not when the thumbnail must be cut from it. */
  planes: boolean;
  /**
   * A very wide or tall image can come out shorter than the cover thumbnail box: then the
   * thumbnail is cut from the decoded bitmap instead of the resized one.
   */
  shortOfCover: (size: Size) => boolean;
}

function planSizes(declared: Size, orientation: number, settings: ProcessOptions): SizePlan {
  const swap = swapsAxes(orientation);
  const box = swap
    ? { width: settings.maxHeight, height: settings.maxWidth }
    : { width: settings.maxWidth, height: settings.maxHeight };
  const thumbnailBox = swap
    ? { width: settings.thumbnailHeight, height: settings.thumbnailWidth }
    : { width: settings.thumbnailWidth, height: settings.thumbnailHeight };
  const shortOfCover = (size: Size): boolean =>
    settings.thumbnailFit === 'cover' &&
    (size.width < thumbnailBox.width || size.height < thumbnailBox.height);
  const resized = fitInside(declared.width, declared.height, box.width, box.height);
  return {
    box,
    thumbnailBox,
    target: decodeTarget(declared, box, thumbnailBox, settings.thumbnailFit),
    // When the thumbnail may be cut from the decoded image, that must be RGBA, not planes.
    planes: !shortOfCover(resized),
    shortOfCover,
  };
}

/**
 * The smallest decoded size that serves both outputs: the resized image, and a cover thumbnail
 * that must fill its box (which a panorama shrunk to 800 wide may not). Stored orientation.
 */
function decodeTarget(
  declared: Size,
  box: Size,
  thumbnailBox: Size,
  fit: ProcessOptions['thumbnailFit'],
): Size {
  const resized = fitInside(declared.width, declared.height, box.width, box.height);
  if (fit !== 'cover') return resized;
  const cover = Math.min(
    1,
    Math.max(thumbnailBox.width / declared.width, thumbnailBox.height / declared.height),
  );
  return {
    width: Math.max(resized.width, Math.round(declared.width * cover)),
    height: Math.max(resized.height, Math.round(declared.height * cover)),
  };
}

/** Stage decode: pixels at the smallest size that serves both outputs. */
async function decode(
  source: GuardedSource,
  plan: SizePlan,
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
    planes: plan.planes,
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

/** Stage resize: into the box. Planes are filtered one component at a time, then converted. */
function resize(decoded: DecodedImage, plan: SizePlan, span: Span): Bitmap {
  const target = fitInside(decoded.width, decoded.height, plan.box.width, plan.box.height);
  span.setAttributes(imageAttributes({ width: target.width, height: target.height }));
  return decoded.kind === 'planes'
    ? resizePlanes(decoded.planes, target)
    : resizeBitmap(decoded.bitmap, target, decoded.info.hasAlpha);
}

/** What the colour stage found: the embedded profile, and the conversion it calls for. */
interface ColourCorrection {
  profile: IccProfile | undefined;
  /** The profile's transform to sRGB, when it applies to these pixels. */
  transform: ((bitmap: Bitmap) => Bitmap) | undefined;
  /** The resized image, converted to sRGB when `transform` applies. */
  corrected: Bitmap;
}

function correct(bitmap: Bitmap, colour: Pick<ColourCorrection, 'transform'>): Bitmap {
  return colour.transform ? colour.transform(bitmap) : bitmap;
}

/** Stage colour: the embedded ICC profile and whether its transform to sRGB applies. */
function colourCorrect(
  source: GuardedSource,
  decoded: DecodedImage,
  resized: Bitmap,
  span: Span,
): ColourCorrection {
  const raw = extractIccProfile(source.bytes, source.format, source.jpeg);
  const profile = raw ? parseIccProfile(raw) : undefined;
  // An RGB profile describes RGB pixels only: not gray ones, nor CMYK already converted.
  const rgbPixels = decoded.info.colorSpace === 'srgb' || decoded.info.colorSpace === 'palette';
  const transform = rgbPixels ? profile?.transform : undefined;
  span.setAttributes(
    imageAttributes({ icc_profile: profile?.description, icc_applied: Boolean(transform) }),
  );
  return { profile, transform, corrected: correct(resized, { transform }) };
}

/** Stage orient: upright per the EXIF orientation. */
function orient(bitmap: Bitmap, orientation: number, span: Span): Bitmap {
  span.setAttributes(imageAttributes({ orientation }));
  return applyOrientation(bitmap, orientation);
}

/** Stage thumbnail: cut from the upright image, or from the decoded one when that is too short. */
function thumbnailOf(
  parts: {
    decoded: DecodedImage;
    resized: Bitmap;
    upright: Bitmap;
    colour: ColourCorrection;
    orientation: number;
    plan: SizePlan;
    settings: ProcessOptions;
  },
  span: Span,
): Bitmap {
  const { decoded, resized, upright, colour, orientation, plan, settings } = parts;
  const hasAlpha = decoded.info.hasAlpha;
  // Cut from the resized image, except when a very wide or tall image came out shorter than
  // the cover box: then from the decoded bitmap, so the thumbnail still fills its box.
  const source = decoded.kind === 'bitmap' ? decoded.bitmap : undefined;
  const fromDecoded =
    plan.shortOfCover(resized) &&
    source !== undefined &&
    source.width * source.height > resized.width * resized.height;
  const result = fromDecoded
    ? applyOrientation(
        correct(makeThumbnail(source, plan.thumbnailBox, 'cover', hasAlpha), colour),
        orientation,
      )
    : makeThumbnail(
        upright,
        { width: settings.thumbnailWidth, height: settings.thumbnailHeight },
        settings.thumbnailFit,
        hasAlpha,
      );
  span.setAttributes(imageAttributes({ width: result.width, height: result.height }));
  return result;
}

/** Stage encode: both images, JPEG when opaque and PNG to keep transparency, under one name. */
async function encode(
  upright: Bitmap,
  thumbnail: Bitmap,
  decoded: DecodedImage,
  settings: ProcessOptions,
  span: Span,
): Promise<{ output: EncodedImage; thumbnail: EncodedImage }> {
  const format = outputFormatFor(decoded.info.hasAlpha);
  const name = outputName(settings.name, format);
  const output = await encodeBitmap(upright, format, settings.quality);
  const thumb = await encodeBitmap(thumbnail, format, settings.quality);
  span.setAttributes(
    imageAttributes({
      'output.format': format,
      'output.bytes': output.length,
      'thumbnail.bytes': thumb.length,
    }),
  );
  return {
    output: encoded(name, format, upright, output),
    thumbnail: encoded(name, format, thumbnail, thumb),
  };
}

function encoded(
  name: string,
  format: OutputFormat,
  bitmap: Bitmap,
  bytes: Uint8Array,
): EncodedImage {
  return {
    name,
    format,
    contentType: format === 'jpeg' ? 'image/jpeg' : 'image/png',
    width: bitmap.width,
    height: bitmap.height,
    bytes,
  };
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
  return {
    width: decoded.width,
    height: decoded.height,
    orientation,
    hasAlpha: info.hasAlpha,
    bitDepth: info.bitDepth,
    // 'rgb': RGB pixels in a space other than sRGB, as the embedded profile says.
    colorSpace:
      info.colorSpace === 'srgb' && profile && !profile.isSrgb && profile.colorSpace === 'RGB'
        ? 'rgb'
        : info.colorSpace,
    ...(profile ? { iccProfile: profile.description, iccApplied: Boolean(colour.transform) } : {}),
    animated: info.animated,
    ...(info.frameCount === undefined ? {} : { frameCount: info.frameCount }),
    ...(info.progressive === undefined ? {} : { progressive: info.progressive }),
  };
}
