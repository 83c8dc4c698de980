/**
 * Huffman tables of a JPEG stream (ITU-T T.81 Annex C), laid out for a decoder that keeps
 * its bit buffer in local variables: a 10-bit lookahead resolves most codes with one array
 * read, and for AC tables most (run, size, value) triples too.
 */
import { JpegFallback } from './fallback.js';

/** Bits of lookahead the fast tables resolve; the scan decoder (wasm/scan.ts) spells it out as 10 and 1023. */
export const FAST_BITS = 10;

/** One DHT table, ready for decoding. */
export interface HuffmanTable {
  /** 10-bit lookahead → (code length << 8) | symbol; 0 when the code is longer than 10 bits. */
  readonly fast: Uint16Array;
  /**
   * AC only: 10-bit lookahead → (value << 8) | (run << 4) | bits consumed, when the code and
   * its magnitude bits both fit in 10 bits; 0 otherwise.
   */
  readonly fastAc: Int32Array;
  /** Largest code of each length 1..16 (index = length), -1 when there is none. */
  readonly maxCode: Int32Array;
  /** For each length, index into `symbols` of a code minus the code itself. */
  readonly symbolOffset: Int32Array;
  readonly symbols: Uint8Array;
}

/**
 * Builds a table from the 16 code-length counts and the symbols of a DHT segment.
 * Throws `JpegFallback` for a table no valid stream can have (over-full code space).
 */
export function buildHuffmanTable(counts: Uint8Array, symbols: Uint8Array): HuffmanTable {
  const fast = new Uint16Array(1 << FAST_BITS);
  const fastAc = new Int32Array(1 << FAST_BITS);
  const maxCode = new Int32Array(18).fill(-1);
  const symbolOffset = new Int32Array(17);
  let code = 0;
  let k = 0;
  for (let length = 1; length <= 16; length++) {
    const count = counts[length - 1] ?? 0;
    symbolOffset[length] = k - code;
    for (let i = 0; i < count; i++) {
      if (length <= FAST_BITS) {
        const shift = FAST_BITS - length;
        const entry = (length << 8) | (symbols[k] ?? 0);
        const first = code << shift;
        for (let j = 0; j < 1 << shift; j++) fast[first + j] = entry;
      }
      code++;
      k++;
    }
    if (count > 0) maxCode[length] = code - 1;
    // T.81 C.2: codes of one length must fit, and the all-ones code is reserved.
    if (code >= 1 << length) throw new JpegFallback('malformed', 'over-full Huffman table');
    code <<= 1;
  }
  maxCode[17] = 0x7fffffff;
  for (let i = 0; i < 1 << FAST_BITS; i++) {
    const entry = fast[i] ?? 0;
    if (entry === 0) continue;
    const length = entry >> 8;
    const run = (entry >> 4) & 15;
    const size = entry & 15;
    if (size === 0 || length + size > FAST_BITS) continue;
    let value = (i >> (FAST_BITS - length - size)) & ((1 << size) - 1);
    if (value < 1 << (size - 1)) value += 1 - (1 << size);
    fastAc[i] = value * 256 + (run << 4) + length + size;
  }
  return { fast, fastAc, maxCode, symbolOffset, symbols };
}
