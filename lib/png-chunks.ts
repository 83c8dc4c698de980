/**
 * The one PNG chunk walk (length, type, data, CRC), shared by the size guard, the decoder's
 * completeness check and the ICC and EXIF readers; and the CRC rule libpng applies to it.
 */
import { crc32 } from 'node:zlib';
import { CorruptImageError } from './errors.js';

/** One chunk; the last one may be cut short by the end of the data. */
export interface PngChunk {
  /** Four-letter chunk type, e.g. 'IHDR', 'IDAT', 'IEND'. */
  type: string;
  /** Offset of the chunk's length field. */
  offset: number;
  /** Declared data length (without the 12 bytes of length, type and CRC). */
  length: number;
  /** The chunk's data, cut short where the bytes end. */
  data: Uint8Array;
  /** True when the whole chunk, CRC included, is within the bytes. */
  complete: boolean;
}

/**
 * Yields the chunks after the 8-byte signature while a chunk's length and type fit in the data;
 * the CRC is not checked. Stops after a chunk that runs past the end.
 */
export function* pngChunks(bytes: Uint8Array): Generator<PngChunk> {
  for (let offset = 8; offset + 12 <= bytes.length;) {
    const length =
      ((bytes[offset]! << 24) |
        (bytes[offset + 1]! << 16) |
        (bytes[offset + 2]! << 8) |
        bytes[offset + 3]!) >>>
      0;
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    const end = offset + 12 + length;
    yield {
      type,
      offset,
      length,
      data: bytes.subarray(offset + 8, Math.min(offset + 8 + length, bytes.length)),
      complete: end <= bytes.length,
    };
    offset = end;
  }
}

/**
 * True when a complete chunk's stored CRC matches its type and data (PNG's CRC-32 is zlib's;
 * node:zlib computes it natively, about a millisecond per megabyte).
 */
export function pngChunkCrcMatches(bytes: Uint8Array, chunk: PngChunk): boolean {
  if (!chunk.complete) return false;
  const end = chunk.offset + 8 + chunk.length;
  const stored =
    ((bytes[end]! << 24) | (bytes[end + 1]! << 16) | (bytes[end + 2]! << 8) | bytes[end + 3]!) >>>
    0;
  return crc32(bytes.subarray(chunk.offset + 4, end)) === stored;
}

/**
 * Critical chunks (IHDR, PLTE, IDAT, IEND: a type whose first letter is upper case) are the
 * picture itself; ancillary ones (text, EXIF, profiles) can be dropped without changing it.
 */
export function isCriticalPngChunk(type: string): boolean {
  return (type.charCodeAt(0) & 0x20) === 0;
}

/**
 * libpng's rule, before anything trusts the header: a critical chunk whose CRC does not match
 * is CORRUPT_IMAGE, naming the chunk. Ancillary chunks are not checked here: their readers skip
 * a damaged one (see `hasDamagedPngChunk`). A chunk cut short by the end of the data is left to the
 * decoder's completeness check.
 */
export function checkPngCriticalCrcs(bytes: Uint8Array, name: string): void {
  for (const chunk of pngChunks(bytes)) {
    if (!chunk.complete) return;
    if (isCriticalPngChunk(chunk.type) && !pngChunkCrcMatches(bytes, chunk)) {
      throw new CorruptImageError(
        name,
        `PNG ${chunk.type} chunk at byte ${chunk.offset} fails its CRC check`,
      );
    }
    if (chunk.type === 'IEND') return;
  }
}

/**
 * True when a chunk of `type` is there but fails its CRC: a metadata reader then ignores it, as
 * libpng drops a damaged ancillary chunk, rather than read it as if it were sound.
 */
export function hasDamagedPngChunk(bytes: Uint8Array, type: string): boolean {
  for (const chunk of pngChunks(bytes)) {
    if (chunk.type === type && !pngChunkCrcMatches(bytes, chunk)) return true;
    if (chunk.type === 'IEND') break;
  }
  return false;
}
