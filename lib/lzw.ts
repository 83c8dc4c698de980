/**
 * The LZW decoder shared by GIF and TIFF. The two differ only in how codes are read (GIF least
 * significant bit first; TIFF most significant first, widening one code early) and in their
 * root codes (GIF's minimum code size, TIFF's 8 bits); what the output must hold stays with
 * each format. Work is bounded by the data and the output: every code either resets the table,
 * ends the data, or writes at least one byte, and a code not in the table is an error.
 */
import { CorruptImageError } from './errors.js';

/** Both formats cap codes at 12 bits. */
export const LZW_MAX_CODES = 4096;

/** The table of strings (each a prefix code plus one byte) and the output they are written to. */
export class LzwStrings {
  readonly prefix = new Uint16Array(LZW_MAX_CODES);
  readonly suffix = new Uint8Array(LZW_MAX_CODES);
  readonly first = new Uint8Array(LZW_MAX_CODES);
  readonly length = new Uint16Array(LZW_MAX_CODES);
  readonly output: Uint8Array;
  /** Bytes written so far; never more than the output's length. */
  out = 0;

  /** A table whose first `roots` codes are single bytes, writing into `capacity` bytes. */
  constructor(roots: number, capacity: number) {
    for (let code = 0; code < roots; code++) {
      this.suffix[code] = code;
      this.first[code] = code;
      this.length[code] = 1;
    }
    this.output = new Uint8Array(capacity);
  }

  /** Writes the string of `code` (its length known) at `out`, clipped to the output. */
  write(code: number): void {
    const { prefix, suffix, output } = this;
    const capacity = output.length;
    const out = this.out;
    const size = this.length[code]!;
    let chase = code;
    if (out + size <= capacity) {
      // Fits: no per-byte bounds check.
      for (let at = out + size - 1; at >= out; at--) {
        output[at] = suffix[chase]!;
        chase = prefix[chase]!;
      }
      this.out = out + size;
      return;
    }
    // The last string overruns the output: keep what fits.
    for (let at = out + size - 1; at >= out; at--) {
      if (at < capacity) output[at] = suffix[chase]!;
      chase = prefix[chase]!;
    }
    this.out = capacity;
  }

  /**
   * Makes `next` the string of `previous` plus the first byte of `code`'s string, or of
   * `previous`'s own when `code` is `next` itself (the KwKwK case).
   */
  add(next: number, previous: number, code: number): void {
    const first = this.first;
    this.prefix[next] = previous;
    this.suffix[next] = code === next ? first[previous]! : first[code]!;
    first[next] = first[previous]!;
    this.length[next] = this.length[previous]! + 1;
  }
}

/** How a format writes its LZW codes. */
export interface LzwFlavour {
  /** 'GIF' or 'TIFF', for messages. */
  format: string;
  /** Bits of a root code (a single byte or palette index): the clear code is 1 << rootBits. */
  rootBits: number;
  /** TIFF: codes most significant bit first, widening one code before the table needs it. */
  tiff: boolean;
}

/**
 * Decodes the codes in `data` into at most `capacity` bytes, until the end code, a full output
 * or the end of the data; returns the table, whose `out` says how many bytes were written.
 * Throws CorruptImageError for a code that is not in the table.
 */
export function decodeLzw(
  data: Uint8Array,
  flavour: LzwFlavour,
  capacity: number,
  name: string,
): LzwStrings {
  const { format, rootBits, tiff } = flavour;
  const clear = 1 << rootBits;
  const end = clear + 1;
  const strings = new LzwStrings(clear, capacity);
  let codeSize = rootBits + 1;
  let next = end + 1;
  let previous = -1;
  let bitBuffer = 0;
  let bitCount = 0;
  let position = 0;
  while (strings.out < capacity) {
    while (bitCount < codeSize && position < data.length) {
      if (tiff) bitBuffer = ((bitBuffer << 8) | data[position++]!) & 0xffffff;
      else bitBuffer |= data[position++]! << bitCount;
      bitCount += 8;
    }
    if (bitCount < codeSize) break; // the data ended
    const mask = (1 << codeSize) - 1;
    const code = tiff ? (bitBuffer >>> (bitCount - codeSize)) & mask : bitBuffer & mask;
    if (!tiff) bitBuffer >>>= codeSize;
    bitCount -= codeSize;
    if (code === clear) {
      codeSize = rootBits + 1;
      next = end + 1;
      previous = -1;
      continue;
    }
    if (code === end) break;
    if (previous < 0) {
      if (code >= clear)
        throw new CorruptImageError(name, `${format} LZW code ${code} before any string`);
      strings.write(code);
      previous = code;
      continue;
    }
    if (code > next || (code === next && next >= LZW_MAX_CODES)) {
      throw new CorruptImageError(name, `${format} LZW code ${code} not in the table of ${next}`);
    }
    if (next < LZW_MAX_CODES) {
      // The new entry: the previous string plus the first byte of this one (itself if new).
      strings.add(next, previous, code);
      next += 1;
      if (next === (1 << codeSize) - (tiff ? 1 : 0) && codeSize < 12) codeSize += 1;
    }
    strings.write(code);
    previous = code;
  }
  return strings;
}
