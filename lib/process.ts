/**
 * The whole flow of one image: sniff -> guard -> exif -> decode -> resize -> colour -> orient ->
 * thumbnail -> encode -> metadata. Each stage runs in its own span and is timed.
 */
import type { Span } from '@opentelemetry/api';
import { decodeImage } from './decode.js';
import { encodeBitmap, outputFormatFor } from './encode.js';
import {
  EmptyInputError,
  InvalidOptionError,
  UnsupportedFormatError,
  toImageError,
} from './errors.js';
import { readExif } from './exif.js';
import { guardInput } from './guard.js';
import { extractIccProfile, parseIccProfile } from './icc.js';
import { sha256Hex, successRecord } from './metadata.js';
import { outputName } from './naming.js';
import { resolveOptions, type ProcessOptions } from './options.js';
import { applyOrientation, swapsAxes } from './orient.js';
import { fitInside, makeThumbnail, resizeBitmap, resizePlanes, type Size } from './resize.js';
import { sniffFormat } from './sniff.js';
import { imageAttributes, inSpan } from './tracing.js';
import type { Bitmap, EncodedImage, ImageInfo, OutputFormat, ProcessResult } from './types.js';

/** A short, printable description of the first bytes, for UNSUPPORTED_FORMAT messages. */
function describeStart(bytes: Uint8Array): string {
  const hex = Array.from(bytes.subarray(0, 8), (byte) => byte.toString(16).padStart(2, '0')).join(
    ' ',
  );
  return `unrecognised signature ${hex}`;
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

function colourCorrect(
  bitmap: Bitmap,
  transform: ((bitmap: Bitmap) => Bitmap) | undefined,
): Bitmap {
  return transform ? transform(bitmap) : bitmap;
}

/**
 * Processes one image: returns the resized image, the thumbnail and the metadata record.
 * Throws only ImageError subclasses (stable `code`, `permanent` flag).
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
  const timingsMs: Record<string, number> = {};
  const stage = async <T>(name: string, work: (span: Span) => Promise<T> | T): Promise<T> => {
    const started = performance.now();
    try {
      return await inSpan(`image.${name}`, work);
    } finally {
      timingsMs[name] = Math.round((performance.now() - started) * 100) / 100;
    }
  };
  try {
    const format = await stage('sniff', (span) => {
      span.setAttributes(imageAttributes({ 'input.bytes': bytes.length }));
      if (bytes.length === 0) throw new EmptyInputError(settings.name);
      const detected = sniffFormat(bytes);
      if (!detected) throw new UnsupportedFormatError(settings.name, describeStart(bytes));
      span.setAttributes(imageAttributes({ format: detected }));
      return detected;
    });
    const declared = await stage('guard', (span) => {
      const dimensions = guardInput(bytes, format, settings);
      span.setAttributes(imageAttributes({ width: dimensions.width, height: dimensions.height }));
      return dimensions;
    });
    const { exif, orientation } = await stage('exif', async (span) => {
      const read = await readExif(bytes, format, settings.includeGps);
      span.setAttributes(imageAttributes({ orientation: read.orientation }));
      return read;
    });
    // The resize box in stored orientation: rotated images swap it.
    const swap = swapsAxes(orientation);
    const box = swap
      ? { width: settings.maxHeight, height: settings.maxWidth }
      : { width: settings.maxWidth, height: settings.maxHeight };
    const thumbnailBox = swap
      ? { width: settings.thumbnailHeight, height: settings.thumbnailWidth }
      : { width: settings.thumbnailWidth, height: settings.thumbnailHeight };
    const target = decodeTarget(declared, box, thumbnailBox, settings.thumbnailFit);
    // A very wide or tall image can come out shorter than the cover thumbnail box: then the
    // thumbnail is cut from the decoded bitmap, which must therefore be RGBA, not planes.
    const shortOfCover = (size: Size): boolean =>
      settings.thumbnailFit === 'cover' &&
      (size.width < thumbnailBox.width || size.height < thumbnailBox.height);
    const coverFromDecoded = shortOfCover(
      fitInside(declared.width, declared.height, box.width, box.height),
    );
    const decoded = await stage('decode', async (span) => {
      const result = await decodeImage({
        bytes,
        format,
        name: settings.name,
        targetBox: target,
        shrinkOnLoad: settings.shrinkOnLoad,
        planes: !coverFromDecoded,
      });
      const decodedSize = result.kind === 'bitmap' ? result.bitmap : result.planes;
      span.setAttributes(
        imageAttributes({
          format,
          width: result.width,
          height: result.height,
          'decoded.width': decodedSize.width,
          'decoded.height': decodedSize.height,
          'decoded.planes': result.kind === 'planes',
          has_alpha: result.info.hasAlpha,
        }),
      );
      return result;
    });
    const hasAlpha = decoded.info.hasAlpha;
    const resizeTarget = fitInside(decoded.width, decoded.height, box.width, box.height);
    const resized = await stage('resize', (span) => {
      span.setAttributes(
        imageAttributes({ width: resizeTarget.width, height: resizeTarget.height }),
      );
      // Planes: filtered one component at a time, colour-converted at the target size.
      return decoded.kind === 'planes'
        ? resizePlanes(decoded.planes, resizeTarget)
        : resizeBitmap(decoded.bitmap, resizeTarget, hasAlpha);
    });
    const { profile, transform, corrected, applied } = await stage('colour', (span) => {
      const raw = extractIccProfile(bytes, format);
      const parsed = raw ? parseIccProfile(raw) : undefined;
      // An RGB profile describes RGB pixels only: not gray ones, nor CMYK already converted.
      const rgbPixels = decoded.info.colorSpace === 'srgb' || decoded.info.colorSpace === 'palette';
      const transform = rgbPixels ? parsed?.transform : undefined;
      span.setAttributes(
        imageAttributes({ icc_profile: parsed?.description, icc_applied: Boolean(transform) }),
      );
      return {
        profile: parsed,
        transform,
        corrected: colourCorrect(resized, transform),
        applied: Boolean(transform),
      };
    });
    const upright = await stage('orient', (span) => {
      span.setAttributes(imageAttributes({ orientation }));
      return applyOrientation(corrected, orientation);
    });
    const thumbnail = await stage('thumbnail', (span) => {
      // Cut from the resized image, except when a very wide or tall image came out shorter than
      // the cover box: then from the decoded bitmap, so the thumbnail still fills its box.
      const source = decoded.kind === 'bitmap' ? decoded.bitmap : undefined;
      const fromDecoded =
        shortOfCover(resized) &&
        source !== undefined &&
        source.width * source.height > resized.width * resized.height;
      const result = fromDecoded
        ? applyOrientation(
            colourCorrect(makeThumbnail(source, thumbnailBox, 'cover', hasAlpha), transform),
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
    });
    const outputFormat = outputFormatFor(hasAlpha);
    const name = outputName(settings.name, outputFormat);
    const [outputBytes, thumbnailBytes] = await stage('encode', async (span) => {
      const output = await encodeBitmap(upright, outputFormat, settings.quality);
      const thumb = await encodeBitmap(thumbnail, outputFormat, settings.quality);
      span.setAttributes(
        imageAttributes({
          'output.format': outputFormat,
          'output.bytes': output.length,
          'thumbnail.bytes': thumb.length,
        }),
      );
      return [output, thumb] as const;
    });
    const output = encoded(name, outputFormat, upright, outputBytes);
    const thumb = encoded(name, outputFormat, thumbnail, thumbnailBytes);
    const metadata = await stage('metadata', () => {
      const image: ImageInfo = {
        width: decoded.width,
        height: decoded.height,
        orientation,
        hasAlpha,
        bitDepth: decoded.info.bitDepth,
        // 'rgb': RGB pixels in a space other than sRGB, as the embedded profile says.
        colorSpace:
          decoded.info.colorSpace === 'srgb' &&
          profile &&
          !profile.isSrgb &&
          profile.colorSpace === 'RGB'
            ? 'rgb'
            : decoded.info.colorSpace,
        ...(profile ? { iccProfile: profile.description, iccApplied: applied } : {}),
        animated: decoded.info.animated,
        ...(decoded.info.frameCount === undefined ? {} : { frameCount: decoded.info.frameCount }),
        ...(decoded.info.progressive === undefined
          ? {}
          : { progressive: decoded.info.progressive }),
      };
      return successRecord({
        source: {
          name: settings.name,
          bytes: bytes.length,
          sha256: sha256Hex(bytes),
          format,
          ...(settings.declaredContentType
            ? { declaredContentType: settings.declaredContentType }
            : {}),
        },
        image,
        exif,
        output,
        thumbnail: thumb,
        timingsMs,
      });
    });
    return { output, thumbnail: thumb, metadata };
  } catch (error) {
    throw toImageError(settings.name, error);
  }
}
