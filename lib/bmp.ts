/**
 * A small, bounded reader for the one BMP variant jimp's decoder gets wrong: 32 bits per pixel
 * with bit-field masks and a declared alpha mask (BITMAPV3/V4/V5 headers, or BI_ALPHABITFIELDS).
 * jimp drops the alpha channel of those; every other BMP stays with jimp. Written for hostile
 * input: every offset and length is checked against the data before it is read, and the RGBA
 * buffer is allocated only once the pixel rows are known to be there (so it is never larger
 * than four times the file).
 */
import { CorruptImageError } from './errors.js';

/** A 32-bit BMP decoded to RGBA, top row first. */
export interface DecodedBmp {
  width: number;
  height: number;
  data: Uint8Array;
  /** True when some pixel is not fully opaque. */
  hasAlpha: boolean;
}

const FILE_HEADER = 14;
const BI_BITFIELDS = 3;
const BI_ALPHABITFIELDS = 6;
/** BITMAPINFOHEADER, V2 (RGB masks), V3 (+ alpha mask), V4, V5. */
const INFO_HEADER_SIZES = new Set([40, 52, 56, 108, 124]);

/** One channel's mask: where its bits sit and how to scale them to 0-255. */
interface Channel {
  mask: number;
  shift: number;
  max: number;
}

function channel(mask: number, name: string, label: string): Channel {
  if (mask === 0) throw new CorruptImageError(name, `BMP ${label} mask is empty`);
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  const bits = mask >>> shift;
  // Contiguous bits only: bits + 1 is then a power of two (2^32 wraps to 0 in int32 maths).
  if ((bits & (bits + 1)) !== 0)
    throw new CorruptImageError(name, `BMP ${label} mask 0x${mask.toString(16)} is not contiguous`);
  return { mask, shift, max: bits };
}

function sample(pixel: number, c: Channel): number {
  const value = (pixel & c.mask) >>> c.shift;
  return c.max === 255 ? value : Math.round((value * 255) / c.max);
}

/**
 * Decodes a 32-bit bit-field BMP that declares an alpha mask, keeping its transparency; returns
 * undefined for every other BMP (jimp's to decode). An alpha mask that is zero in every pixel
 * means the writer left alpha unused: the image is then opaque. Throws CorruptImageError when
 * the header or pixel data do not fit the file.
 */
export function decodeBmpWithAlpha(bytes: Uint8Array, name: string): DecodedBmp | undefined {
  if (bytes.length < FILE_HEADER + 4) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerSize = view.getUint32(FILE_HEADER, true);
  if (!INFO_HEADER_SIZES.has(headerSize)) return undefined;
  const headerEnd = FILE_HEADER + headerSize;
  if (headerEnd > bytes.length)
    throw new CorruptImageError(name, 'BMP data ends inside its info header');
  const bitCount = view.getUint16(FILE_HEADER + 14, true);
  const compression = view.getUint32(FILE_HEADER + 16, true);
  if (bitCount !== 32 || (compression !== BI_BITFIELDS && compression !== BI_ALPHABITFIELDS))
    return undefined;

  // Masks sit at the same place either way: inside a V2+ header, or right after a 40-byte one.
  const maskCount = compression === BI_ALPHABITFIELDS || headerSize >= 56 ? 4 : 3;
  const masksEnd = FILE_HEADER + 40 + maskCount * 4;
  if (masksEnd > bytes.length)
    throw new CorruptImageError(name, 'BMP data ends inside its colour masks');
  const mask = (index: number) => view.getUint32(FILE_HEADER + 40 + index * 4, true);
  const alphaMask = maskCount === 4 ? mask(3) : 0;
  if (alphaMask === 0) return undefined;

  const width = view.getInt32(FILE_HEADER + 4, true);
  const signedHeight = view.getInt32(FILE_HEADER + 8, true);
  const height = Math.abs(signedHeight);
  if (width <= 0 || height === 0)
    throw new CorruptImageError(name, `BMP header declares ${width}x${signedHeight}`);
  const red = channel(mask(0), name, 'red');
  const green = channel(mask(1), name, 'green');
  const blue = channel(mask(2), name, 'blue');
  const alpha = channel(alphaMask, name, 'alpha');

  const pixelOffset = view.getUint32(10, true);
  const dataStart = Math.max(headerEnd, masksEnd);
  if (pixelOffset < dataStart)
    throw new CorruptImageError(name, 'BMP pixel data offset points inside its headers');
  const stride = width * 4; // 32-bit rows are always a multiple of 4 bytes: no padding
  if (pixelOffset + stride * height > bytes.length)
    throw new CorruptImageError(name, 'BMP pixel data ends before its last row');

  const data = new Uint8Array(width * height * 4);
  const bottomUp = signedHeight > 0;
  let anyAlpha = false;
  let translucent = false;
  for (let y = 0; y < height; y++) {
    const row = pixelOffset + (bottomUp ? height - 1 - y : y) * stride;
    let to = y * stride;
    for (let x = 0; x < width; x++, to += 4) {
      const pixel = view.getUint32(row + x * 4, true);
      const a = sample(pixel, alpha);
      data[to] = sample(pixel, red);
      data[to + 1] = sample(pixel, green);
      data[to + 2] = sample(pixel, blue);
      data[to + 3] = a;
      if (a !== 0) anyAlpha = true;
      if (a !== 255) translucent = true;
    }
  }
  if (!anyAlpha) {
    for (let i = 3; i < data.length; i += 4) data[i] = 255;
    translucent = false;
  }
  return { width, height, data, hasAlpha: translucent };
}
