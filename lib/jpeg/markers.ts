/**
 * The one JPEG marker walk: every reader of JPEG headers (size guard, end check, ICC profile)
 * steps through the segments here, so fill bytes, junk and bad lengths are handled once.
 */

/** One marker segment before the scan data. */
export interface JpegSegment {
  /** Marker code, the byte after 0xFF (0xE2 for APP2, 0xDA for SOS, 0xD9 for EOI). */
  marker: number;
  /** Offset of the 0xFF that introduces the marker. */
  offset: number;
  /** Declared segment length, counting its own two bytes (0 for EOI, which has none). */
  length: number;
  /** The segment's payload after the length, cut short where the data ends. */
  body: Uint8Array;
}

/** Why the walk ended: data or markers ran out, a length was missing, or a length was below 2. */
export type JpegWalkEnd = 'end' | 'truncated' | 'bad-length';

const EMPTY = new Uint8Array(0);

/**
 * Yields the marker segments from just after SOI, skipping junk and fill bytes as libjpeg does and
 * the stand-alone markers (SOI, TEM, RSTn). Yields SOS or EOI last; returns why it stopped. A
 * length below 2 ends the walk; `lenient` instead steps over it (landing on the length bytes,
 * skipped as junk) and walks a stray EOI like any segment, leaving such damage to the decoders.
 */
export function* jpegSegments(
  bytes: Uint8Array,
  options: { lenient?: boolean } = {},
): Generator<JpegSegment, JpegWalkEnd> {
  let pos = 2;
  while (pos < bytes.length) {
    if (bytes[pos] !== 0xff) {
      pos++; // junk before a marker
      continue;
    }
    while (bytes[pos] === 0xff) pos++; // fill bytes
    if (pos >= bytes.length) return 'end';
    const offset = pos - 1;
    const marker = bytes[pos++]!;
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    if (marker === 0xd9 && !options.lenient) {
      yield { marker, offset, length: 0, body: EMPTY };
      return 'end';
    }
    if (pos + 2 > bytes.length) return 'truncated';
    const length = (bytes[pos]! << 8) | bytes[pos + 1]!;
    if (length < 2 && !options.lenient) return 'bad-length';
    const end = offset + 2 + length;
    yield { marker, offset, length, body: bytes.subarray(pos + 2, Math.min(end, bytes.length)) };
    if (marker === 0xda) return 'end';
    pos = end;
  }
  return 'end';
}
