/**
 * The one RIFF chunk walk (WebP's container), shared by the decoder, the EXIF reader and the ICC
 * reader: a four-letter type, a little-endian length, the payload, padded to an even length.
 */

/** One chunk; the last one may run past the end of its container. */
export interface RiffChunk {
  /** Four-letter chunk type, e.g. 'VP8 ', 'VP8X', 'ANMF', 'EXIF', 'ICCP'. */
  type: string;
  /** Offset of the payload (just after the 8-byte chunk header). */
  start: number;
  /** Declared payload length. */
  length: number;
  /** True when the whole payload lies within the container. */
  complete: boolean;
}

/**
 * Yields the chunks between `from` and `to` (default: after the 12-byte RIFF header, to the end
 * of the data) while a chunk header fits; a chunk that runs past `to` is the last one yielded.
 */
export function* riffChunks(bytes: Uint8Array, from = 12, to = bytes.length): Generator<RiffChunk> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let offset = from; offset + 8 <= to;) {
    const type = String.fromCharCode(...bytes.subarray(offset, offset + 4));
    const length = view.getUint32(offset + 4, true);
    const start = offset + 8;
    yield { type, start, length, complete: start + length <= to };
    offset = start + length + (length & 1);
  }
}

/** A chunk's payload, cut short where the data ends. */
export function riffPayload(bytes: Uint8Array, chunk: RiffChunk): Uint8Array {
  return bytes.subarray(chunk.start, chunk.start + chunk.length);
}
