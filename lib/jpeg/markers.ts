/**
 * The one JPEG marker walk, run once per image: the pipeline reads the markers here and hands
 * the result to every stage that needs them (the size guard, the end check before decoding,
 * the ICC reader), so fill bytes, junk and bad lengths are handled in one place. The baseline
 * decoder (decoder.ts) walks the markers again as it decodes, since tables may come between
 * scans; exifr finds its EXIF segment in its own way.
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

/** What the marker walk found, shared by the stages. */
export interface JpegMarkers {
  /**
   * The segments from just after SOI up to and including the first SOS or EOI, as a strict
   * reader sees them: it stops at a length below 2 or at an end-of-image marker.
   */
  segments: JpegSegment[];
  /** Why the strict walk ended. */
  end: JpegWalkEnd;
  /**
   * Offset just past the first start-of-scan segment as a lenient reader finds it, or -1.
   * Lenient: a bad segment length or a stray EOI before the scan is the decoders' to judge
   * (some decode such files), so the walk steps over them to look for the scan.
   */
  scanDataOffset: number;
}

const EMPTY = new Uint8Array(0);

/** Stand-alone markers, without a length: SOI, TEM and RST0-7. */
function isStandAlone(marker: number): boolean {
  return marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7);
}

/**
 * Walks the marker segments after SOI once, skipping junk and fill bytes as libjpeg does. The
 * strict and the lenient reading take the same steps up to the first length below 2 or stray
 * EOI: there the strict one stops (`segments`, `end`) and the lenient one steps over it (onto
 * the length bytes, skipped as junk; an EOI read as a segment) to find the first scan.
 */
export function readJpegMarkers(bytes: Uint8Array): JpegMarkers {
  const segments: JpegSegment[] = [];
  let end: JpegWalkEnd | undefined;
  let pos = 2;
  while (pos < bytes.length) {
    if (bytes[pos] !== 0xff) {
      pos++; // junk before a marker
      continue;
    }
    while (bytes[pos] === 0xff) pos++; // fill bytes
    if (pos >= bytes.length) break;
    const offset = pos - 1;
    const marker = bytes[pos++]!;
    if (isStandAlone(marker)) continue;
    if (marker === 0xd9 && end === undefined) {
      segments.push({ marker, offset, length: 0, body: EMPTY });
      end = 'end';
    }
    if (pos + 2 > bytes.length) {
      end ??= 'truncated';
      break;
    }
    const length = (bytes[pos]! << 8) | bytes[pos + 1]!;
    if (length < 2) end ??= 'bad-length';
    const next = offset + 2 + length;
    if (end === undefined) {
      segments.push({
        marker,
        offset,
        length,
        body: bytes.subarray(pos + 2, Math.min(next, bytes.length)),
      });
    }
    if (marker === 0xda) return { segments, end: end ?? 'end', scanDataOffset: next };
    pos = next;
  }
  return { segments, end: end ?? 'end', scanDataOffset: -1 };
}
