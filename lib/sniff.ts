/**
 * The sniff stage: detect the format from magic bytes only, never from a name or a declared
 * content type.
 */
import { isHeif } from './heif.js';
import type { ImageFormat } from './types.js';

function ascii(bytes: Uint8Array, offset: number, text: string): boolean {
  if (offset + text.length > bytes.length) return false;
  for (let i = 0; i < text.length; i++) {
    if (bytes[offset + i] !== text.charCodeAt(i)) return false;
  }
  return true;
}

const BMP_HEADER_SIZES = new Set([12, 16, 40, 52, 56, 64, 108, 124]);
const AVIF_BRANDS = ['avif', 'avis'];

function isAvif(bytes: Uint8Array): boolean {
  if (!ascii(bytes, 4, 'ftyp') || bytes.length < 16) return false;
  const boxSize = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  const end = Math.min(boxSize, bytes.length);
  // Major brand at 8, minor version at 12, compatible brands from 16.
  if (AVIF_BRANDS.some((brand) => ascii(bytes, 8, brand))) return true;
  for (let offset = 16; offset + 4 <= end; offset += 4) {
    if (AVIF_BRANDS.some((brand) => ascii(bytes, offset, brand))) return true;
  }
  return false;
}

/**
 * Detects the image format from the first bytes; `undefined` when they match no format we read.
 * Example: `sniffFormat(bytes) === 'png'`.
 */
export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    return 'jpeg';
  }
  if (
    bytes.length >= 8 &&
    bytes[0] === 0x89 &&
    ascii(bytes, 1, 'PNG') &&
    bytes[4] === 0x0d &&
    bytes[5] === 0x0a &&
    bytes[6] === 0x1a &&
    bytes[7] === 0x0a
  ) {
    return 'png';
  }
  if (ascii(bytes, 0, 'GIF87a') || ascii(bytes, 0, 'GIF89a')) return 'gif';
  if (ascii(bytes, 0, 'BM') && bytes.length >= 18) {
    const headerSize = bytes[14]! | (bytes[15]! << 8) | (bytes[16]! << 16) | (bytes[17]! << 24);
    if (BMP_HEADER_SIZES.has(headerSize)) return 'bmp';
  }
  if (
    bytes.length >= 8 &&
    ((ascii(bytes, 0, 'II') && bytes[2] === 42 && bytes[3] === 0) ||
      (ascii(bytes, 0, 'MM') && bytes[2] === 0 && bytes[3] === 42))
  ) {
    return 'tiff';
  }
  if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WEBP')) return 'webp';
  if (isAvif(bytes)) return 'avif';
  if (isHeif(bytes)) return 'heif'; // HEIC from phones, and other HEIF stills (not AVIF)
  return undefined;
}
