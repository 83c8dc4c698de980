/**
 * The box pre-shrink of lib/resize.ts, fed one row at a time: rows are summed into one row of
 * factor x factor block sums as they are decoded, and each finished band of `factor` rows
 * becomes one output row, so the full-size image never exists. The arithmetic (and rounding)
 * is resizeBitmap's, so a streamed decode gives the same pixels as a box pre-shrink of the
 * full decode: colour weighted by alpha (premultiplied) when the image may have transparency,
 * plain averages otherwise; partial blocks at the right and bottom edges.
 */
import type { Bitmap } from '../types.js';

/** Sums rows into factor x factor blocks; `finish` returns the shrunk bitmap. */
export class RowBoxShrinker {
  /** The shrunk size: ceil(source / factor) each way. */
  readonly width: number;
  readonly height: number;
  private readonly out: Uint8Array;
  /** Per output column: red, green, blue and alpha sums of the band so far. */
  private readonly sums: Float64Array;
  private rowsInBand = 0;
  private row = 0;
  private outRow = 0;
  /** Bitwise AND of every alpha pushed: 255 exactly when every pixel is opaque. */
  private alphaAnd = 255;

  constructor(
    private readonly sourceWidth: number,
    private readonly sourceHeight: number,
    private readonly factor: number,
    private readonly premultiplied: boolean,
  ) {
    this.width = Math.ceil(sourceWidth / factor);
    this.height = Math.ceil(sourceHeight / factor);
    this.out = new Uint8Array(this.width * this.height * 4);
    this.sums = new Float64Array(this.width * 4);
  }

  /** True when some pushed pixel is not fully opaque. */
  get anyTransparent(): boolean {
    return this.alphaAnd !== 255;
  }

  /** Adds one row of RGBA pixels (4 bytes each, `sourceWidth` of them, from `offset`). */
  pushRgba(row: Uint8Array, offset = 0): void {
    if (this.premultiplied) this.addPremultiplied(row, offset);
    else this.addRgb(row, offset, 4);
    this.endRow();
  }

  /** Adds one row of opaque RGB pixels (3 bytes each, from `offset`). */
  pushRgb(row: Uint8Array, offset = 0): void {
    this.addRgb(row, offset, 3);
    this.endRow();
  }

  /** The shrunk bitmap; every source row must have been pushed. */
  finish(): Bitmap {
    if (this.row !== this.sourceHeight) {
      throw new RangeError(`${this.row} of ${this.sourceHeight} rows pushed`);
    }
    return { width: this.width, height: this.height, data: this.out };
  }

  private addPremultiplied(row: Uint8Array, offset: number): void {
    const { sums, factor, sourceWidth, width } = this;
    let and = this.alphaAnd;
    for (let dx = 0, s = offset, x = 0, t = 0; dx < width; dx++, t += 4) {
      const end = Math.min(sourceWidth, x + factor);
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (; x < end; x++, s += 4) {
        const alpha = row[s + 3]!;
        r += row[s]! * alpha;
        g += row[s + 1]! * alpha;
        b += row[s + 2]! * alpha;
        a += alpha;
        and &= alpha;
      }
      sums[t] = sums[t]! + r;
      sums[t + 1] = sums[t + 1]! + g;
      sums[t + 2] = sums[t + 2]! + b;
      sums[t + 3] = sums[t + 3]! + a;
    }
    this.alphaAnd = and;
  }

  /** Colour only, `step` bytes per pixel (alpha, when there, ignored: the image is opaque). */
  private addRgb(row: Uint8Array, offset: number, step: number): void {
    const { sums, factor, sourceWidth, width } = this;
    for (let dx = 0, s = offset, x = 0, t = 0; dx < width; dx++, t += 4) {
      const end = Math.min(sourceWidth, x + factor);
      let r = 0;
      let g = 0;
      let b = 0;
      for (; x < end; x++, s += step) {
        r += row[s]!;
        g += row[s + 1]!;
        b += row[s + 2]!;
      }
      sums[t] = sums[t]! + r;
      sums[t + 1] = sums[t + 1]! + g;
      sums[t + 2] = sums[t + 2]! + b;
    }
  }

  private endRow(): void {
    this.row++;
    this.rowsInBand++;
    if (this.rowsInBand === this.factor || this.row === this.sourceHeight) this.emitBand();
  }

  /**
   * Turns the band's sums into one output row and clears them. The rounding is resizeBitmap's
   * (colour sum over alpha sum, then alpha over the block's area), with one division per pixel:
   * the colour channels multiply by its inverse, which may round a tie the other way (at most 1
   * level apart from a box pre-shrink of the full decode).
   */
  private emitBand(): void {
    if (this.premultiplied) this.emitPremultiplied();
    else this.emitAverages();
    this.sums.fill(0);
    this.rowsInBand = 0;
    this.outRow++;
  }

  // The stores below round by truncation of value + 0.5 (a Uint8Array store truncates): the
  // same as Math.round for these non-negative values, without its call (a third of the time).
  private emitPremultiplied(): void {
    const { sums, out, factor, sourceWidth, width, rowsInBand } = this;
    const fullBlock = 1 / (rowsInBand * factor);
    let o = this.outRow * width * 4;
    for (let dx = 0, t = 0; dx < width; dx++, t += 4, o += 4) {
      const a = sums[t + 3]!;
      const inverse = a === 0 ? 1 : 1 / a;
      out[o] = sums[t]! * inverse + 0.5;
      out[o + 1] = sums[t + 1]! * inverse + 0.5;
      out[o + 2] = sums[t + 2]! * inverse + 0.5;
      const columns = Math.min(sourceWidth - dx * factor, factor);
      out[o + 3] = (columns === factor ? a * fullBlock : a / (rowsInBand * columns)) + 0.5;
    }
  }

  private emitAverages(): void {
    const { sums, out, factor, sourceWidth, width, rowsInBand } = this;
    let o = this.outRow * width * 4;
    for (let dx = 0, t = 0; dx < width; dx++, t += 4, o += 4) {
      const columns = Math.min(sourceWidth - dx * factor, factor);
      const inverse = 1 / (rowsInBand * columns);
      out[o] = sums[t]! * inverse + 0.5;
      out[o + 1] = sums[t + 1]! * inverse + 0.5;
      out[o + 2] = sums[t + 2]! * inverse + 0.5;
      out[o + 3] = 255;
    }
  }
}
