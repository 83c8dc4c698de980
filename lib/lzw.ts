/**
 * The LZW string table shared by the GIF and TIFF decoders. The two differ only in how codes are
 * read (GIF least significant bit first; TIFF most significant first, widening one code early),
 * in their clear/end codes and in their messages, which stay with each format.
 */

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
