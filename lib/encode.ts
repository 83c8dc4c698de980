/**
 * The encode stage: each rendition in its format. JPEG (ours, lib/jpeg/encoder.ts: baseline,
 * 4:2:2, TurboJPEG's bytes; mozjpeg at 4:4:4 for tiny or thin images, see codecs), PNG, WebP (libwebp, lossy) and AVIF (libavif
 * with aom), all in WASM. Outputs carry no EXIF or other metadata, so no GPS leaks into
 * published images, and are sRGB (see icc.ts).
 */
import {
  encodeAvifWasm,
  encodeJpegWasm,
  encodePngWasm,
  encodeWebpWasm,
  type CodecImage,
} from './codecs/index.js';
import { encodeAnimatedGif } from './animation/encode.js';
import type { RenditionFormat } from './renditions.js';
import type { Bitmap, ImageFormat, OutputContentType, OutputFormat } from './types.js';

/**
 * The format a rendition is written in. A forced format is kept. `auto` keeps the input's
 * format when we write it (JPEG, PNG, WebP, AVIF); the others (GIF, BMP, TIFF, HEIF) become PNG when
 * any pixel is transparent, so transparency survives, else JPEG.
 */
export function chooseFormat(
  wanted: RenditionFormat,
  input: ImageFormat,
  hasAlpha: boolean,
): OutputFormat {
  if (wanted !== 'auto') return wanted;
  if (input === 'jpeg' || input === 'png' || input === 'webp' || input === 'avif') return input;
  return hasAlpha ? 'png' : 'jpeg';
}

const CONTENT_TYPES: Record<OutputFormat, OutputContentType> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  avif: 'image/avif',
  gif: 'image/gif',
};

/** The Content-Type of a format we write. */
export function contentTypeOf(format: OutputFormat): OutputContentType {
  return CONTENT_TYPES[format];
}

/**
 * Composites RGBA onto white, for JPEG (which has no alpha): a transparent PNG forced to JPEG
 * shows white where it was transparent, not whatever colour its invisible pixels held.
 */
export function flattenOntoWhite(bitmap: Bitmap): Bitmap {
  const { data } = bitmap;
  const out = new Uint8ClampedArray(data.length);
  for (let i = 0; i < data.length; i += 4) {
    const alpha = data[i + 3]!;
    const white = 255 - alpha;
    out[i] = (data[i]! * alpha + 255 * white) / 255;
    out[i + 1] = (data[i + 1]! * alpha + 255 * white) / 255;
    out[i + 2] = (data[i + 2]! * alpha + 255 * white) / 255;
    out[i + 3] = 255;
  }
  return { width: bitmap.width, height: bitmap.height, data: out };
}

function asCodecImage(bitmap: Bitmap): CodecImage {
  const { data } = bitmap;
  return {
    width: bitmap.width,
    height: bitmap.height,
    data:
      data instanceof Uint8ClampedArray
        ? data
        : new Uint8ClampedArray(data.buffer, data.byteOffset, data.byteLength),
  };
}

/**
 * Encodes an RGBA bitmap as `format`; `quality` (1-100) applies to JPEG, WebP and AVIF.
 * `hasAlpha` says whether any pixel is transparent: a JPEG of such an image is flattened onto
 * white first.
 */
export async function encodeBitmap(
  bitmap: Bitmap,
  format: OutputFormat,
  quality: number,
  hasAlpha: boolean,
): Promise<Uint8Array> {
  switch (format) {
    case 'jpeg':
      return encodeJpegWasm(asCodecImage(hasAlpha ? flattenOntoWhite(bitmap) : bitmap), quality);
    case 'png':
      return encodePngWasm(asCodecImage(bitmap));
    case 'webp':
      return encodeWebpWasm(asCodecImage(bitmap), quality);
    case 'avif':
      return encodeAvifWasm(asCodecImage(bitmap), quality);
    case 'gif':
      return encodeAnimatedGif([{ bitmap, delayMs: 0 }], 1, hasAlpha); // a one-frame GIF
  }
}
