/**
 * The encode stage: encode the small images. JPEG (libjpeg-turbo, baseline, 4:2:2; mozjpeg at
 * 4:4:4 for tiny or thin images, see codecs) when the image is opaque, PNG when any pixel is
 * transparent. Outputs carry no EXIF or other metadata, so no GPS leaks into published images, and
 * are sRGB (see icc.ts).
 */
import { encodeJpegWasm, encodePngWasm } from './codecs/index.js';
import type { Bitmap, OutputFormat } from './types.js';

/** JPEG for opaque images, PNG to keep transparency. */
export function outputFormatFor(hasAlpha: boolean): OutputFormat {
  return hasAlpha ? 'png' : 'jpeg';
}

/** Encodes an RGBA bitmap; `quality` (1-100) applies to JPEG. */
export async function encodeBitmap(
  bitmap: Bitmap,
  format: OutputFormat,
  quality: number,
): Promise<Uint8Array> {
  const image = {
    width: bitmap.width,
    height: bitmap.height,
    data:
      bitmap.data instanceof Uint8ClampedArray
        ? bitmap.data
        : new Uint8ClampedArray(bitmap.data.buffer, bitmap.data.byteOffset, bitmap.data.byteLength),
  };
  return format === 'jpeg' ? encodeJpegWasm(image, quality) : encodePngWasm(image);
}
