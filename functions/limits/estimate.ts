/**
 * The memory an image will need, estimated from the size its header declares (read without
 * decoding), so the limiter can make a large image wait before it is decoded.
 */
import { readDeclaredDimensions } from '../../lib/guard.js';
import { DEFAULT_OPTIONS } from '../../lib/options.js';
import { sniffFormat } from '../../lib/sniff.js';

/**
 * Bytes of working memory per declared pixel for a full-size decode: the RGBA bitmap (4 bytes)
 * in the codec's WASM memory and again in a JS buffer, plus the pre-shrunk copy and the
 * encoders' buffers. Measured as the rise in peak RSS while one image is processed: 11.6 bytes
 * per pixel for a 12 MP JPEG, 10.7 for 24 MP, 14 for 4 MP, about 20 for a 2 MP PNG. Baseline
 * JPEGs that decode at a reduced DCT scale need far less (28 MB for 12 MP), but the estimate
 * stays at full size on purpose: a stream the scaled decoder declines (truncated, malformed)
 * falls back to a full-size decode, and a budget must hold for the worst case a header allows.
 */
export const BYTES_PER_PIXEL = 12;

/**
 * Estimated peak bytes to process `bytes`: the declared pixels times `BYTES_PER_PIXEL`, plus the
 * input itself. Inputs the guard refuses before decoding (unreadable header, more than
 * `maxPixels`) cost only their own size, so a decompression bomb never holds the budget.
 */
export function estimateImageBytes(
  bytes: Uint8Array,
  maxPixels: number = DEFAULT_OPTIONS.maxPixels,
): number {
  // The whole input is its own head: an unreadable header is then unreadable, not cut short.
  return estimateFromHead(bytes, bytes.length, maxPixels);
}

/**
 * The estimate for an input of `totalBytes` from its first bytes only (`head`), read before
 * the download so the whole image is admitted within memory already granted. A header the head
 * does not hold (a TIFF directory at the end, a JPEG with large segments before its frame
 * header), or no head at all (the version changed or went before it was read), gives the worst
 * case the pixel limit allows: such an image waits for room as large as the biggest it could be.
 */
export function estimateFromHead(
  head: Uint8Array | undefined,
  totalBytes: number,
  maxPixels: number = DEFAULT_OPTIONS.maxPixels,
): number {
  const base = totalBytes * 2;
  if (head === undefined) return base + maxPixels * BYTES_PER_PIXEL;
  const format = sniffFormat(head);
  if (format === undefined) return base;
  try {
    const { width, height } = readDeclaredDimensions(head, format);
    const pixels = width * height;
    return pixels > maxPixels ? base : base + pixels * BYTES_PER_PIXEL;
  } catch {
    return head.length >= totalBytes ? base : base + maxPixels * BYTES_PER_PIXEL;
  }
}
