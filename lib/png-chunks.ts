/**
 * The one PNG chunk walk (length, type, data, CRC), shared by the size guard, the decoder's
 * completeness check and the ICC reader.
 */

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
