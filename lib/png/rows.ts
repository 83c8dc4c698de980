/**
 * One PNG scanline at a time: undo its filter (PNG spec section 9), then expand it to 8-bit RGBA
 * the way the full decoder (@jsquash/png) does, so the streamed and the full decode agree:
 * 16-bit samples keep their high byte, 1/2/4-bit grey scales to 0-255, palette indices past the
 * palette read as opaque black, tRNS makes its one grey or RGB value (compared at full depth)
 * transparent and gives palette entries their alpha.
 */
import { COLOR_TYPE, type PngLayout } from './layout.js';

/**
 * Undoes the filter of one scanline in place. `line` is the scanline as stored, its filter type
 * at index 0 and the filtered bytes after it; `prev` the previous unfiltered line in the same
 * layout (all zeros above the first row); `bpp` the bytes per complete pixel (at least 1).
 * Working on whole lines from index 1 spares a view per row. Returns false for a filter type
 * PNG does not define.
 */
export function unfilterLine(line: Uint8Array, prev: Uint8Array, bpp: number): boolean {
  const n = line.length;
  const first = Math.min(n, bpp + 1); // bytes 1..bpp have no left neighbour
  switch (line[0]) {
    case 0:
      return true;
    case 1:
      for (let i = first; i < n; i++) line[i] = line[i]! + line[i - bpp]!;
      return true;
    case 2:
      for (let i = 1; i < n; i++) line[i] = line[i]! + prev[i]!;
      return true;
    case 3:
      for (let i = 1; i < first; i++) line[i] = line[i]! + (prev[i]! >> 1);
      for (let i = first; i < n; i++) line[i] = line[i]! + ((line[i - bpp]! + prev[i]!) >> 1);
      return true;
    case 4:
      unfilterPaeth(line, prev, bpp, first);
      return true;
    default:
      return false;
  }
}

/**
 * Paeth, the costliest filter and the one encoders pick most for photos. With no left
 * neighbour the predictor is the byte above; after that, the distances are computed from the
 * differences (pa = |b - c|, pb = |a - c|, pc = |a + b - 2c|) with no call per byte.
 */
function unfilterPaeth(line: Uint8Array, prev: Uint8Array, bpp: number, first: number): void {
  const n = line.length;
  for (let i = 1; i < first; i++) line[i] = line[i]! + prev[i]!;
  for (let i = first; i < n; i++) {
    const a = line[i - bpp]!;
    const b = prev[i]!;
    const c = prev[i - bpp]!;
    const bc = b - c;
    const ac = a - c;
    const pa = bc < 0 ? -bc : bc;
    const pb = ac < 0 ? -ac : ac;
    const abc = bc + ac;
    const pc = abc < 0 ? -abc : abc;
    line[i] = line[i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
  }
}

/** Expands one unfiltered line (filter byte at index 0, ignored) into `out`, 4 bytes per pixel. */
export type RowExpander = (row: Uint8Array, out: Uint8Array) => void;

/** Bytes per scanline (without the filter byte) and per complete pixel (at least 1). */
export function scanlineBytes(layout: PngLayout): { rowBytes: number; bpp: number } {
  const bitsPerPixel = layout.channels * layout.bitDepth;
  return {
    rowBytes: Math.ceil((layout.width * bitsPerPixel) / 8),
    bpp: Math.max(1, bitsPerPixel >> 3),
  };
}

function u16(bytes: Uint8Array | undefined, offset: number): number {
  if (!bytes || bytes.length < offset + 2) return -1;
  return (bytes[offset]! << 8) | bytes[offset + 1]!;
}

/**
 * The expander for the layout's colour type and bit depth, or undefined for a combination PNG
 * does not allow (the full decoder then gives its verdict).
 */
export function rowExpander(layout: PngLayout): RowExpander | undefined {
  const { colorType, bitDepth, width } = layout;
  switch (colorType) {
    case COLOR_TYPE.gray:
      return [1, 2, 4, 8, 16].includes(bitDepth) ? grayExpander(layout) : undefined;
    case COLOR_TYPE.palette:
      return [1, 2, 4, 8].includes(bitDepth) ? paletteExpander(layout) : undefined;
    case COLOR_TYPE.rgb:
      return bitDepth === 8 || bitDepth === 16 ? rgbExpander(layout) : undefined;
    case COLOR_TYPE.grayAlpha:
      if (bitDepth !== 8 && bitDepth !== 16) return undefined;
      return (row, out) => {
        const step = bitDepth >> 2; // bytes per pixel: 2 or 4
        const alpha = step >> 1; // offset of the alpha's high byte
        for (let x = 0, s = 1, o = 0; x < width; x++, s += step, o += 4) {
          const v = row[s]!;
          out[o] = v;
          out[o + 1] = v;
          out[o + 2] = v;
          out[o + 3] = row[s + alpha]!;
        }
      };
    case COLOR_TYPE.rgba:
      if (bitDepth === 8) return (row, out) => out.set(row.subarray(1, 1 + width * 4));
      if (bitDepth !== 16) return undefined;
      return (row, out) => {
        for (let o = 0, s = 1; o < width * 4; o++, s += 2) out[o] = row[s]!;
      };
    default:
      return undefined;
  }
}

function grayExpander(layout: PngLayout): RowExpander {
  const { bitDepth, width } = layout;
  const key = u16(layout.transparency, 0);
  if (bitDepth === 16) {
    return (row, out) => {
      for (let x = 0, s = 1, o = 0; x < width; x++, s += 2, o += 4) {
        const v = row[s]!;
        out[o] = v;
        out[o + 1] = v;
        out[o + 2] = v;
        out[o + 3] = ((v << 8) | row[s + 1]!) === key ? 0 : 255;
      }
    };
  }
  const levels = (1 << bitDepth) - 1;
  const scale = 255 / levels;
  return (row, out) => {
    for (let x = 0, o = 0; x < width; x++, o += 4) {
      const raw = sampleAt(row, x, bitDepth, levels);
      const v = Math.round(raw * scale);
      out[o] = v;
      out[o + 1] = v;
      out[o + 2] = v;
      out[o + 3] = raw === key ? 0 : 255;
    }
  };
}

/** Sample x of a line of 1, 2, 4 or 8-bit samples (most significant bits first). */
function sampleAt(line: Uint8Array, x: number, bitDepth: number, mask: number): number {
  if (bitDepth === 8) return line[1 + x]!;
  const bit = x * bitDepth;
  return (line[1 + (bit >> 3)]! >> (8 - bitDepth - (bit & 7))) & mask;
}

function rgbExpander(layout: PngLayout): RowExpander {
  const { bitDepth, width } = layout;
  const trns = layout.transparency;
  const step = bitDepth === 16 ? 6 : 3;
  const wide = bitDepth === 16 ? 1 : 0;
  const keyR = u16(trns, 0);
  const keyG = u16(trns, 2);
  const keyB = u16(trns, 4);
  return (row, out) => {
    for (let x = 0, s = 1, o = 0; x < width; x++, s += step, o += 4) {
      const r = row[s]!;
      const g = row[s + 1 + wide]!;
      const b = row[s + 2 + 2 * wide]!;
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
      if (keyR < 0) out[o + 3] = 255;
      else if (wide) {
        const same =
          ((r << 8) | row[s + 1]!) === keyR &&
          ((g << 8) | row[s + 3]!) === keyG &&
          ((b << 8) | row[s + 5]!) === keyB;
        out[o + 3] = same ? 0 : 255;
      } else out[o + 3] = r === keyR && g === keyG && b === keyB ? 0 : 255;
    }
  };
}

/** RGBA of every index 0-255: past the palette, opaque black; past tRNS, opaque. */
function paletteTable(layout: PngLayout): Uint32Array {
  const table = new Uint32Array(256);
  const bytes = new Uint8Array(table.buffer);
  const { palette, transparency } = layout;
  for (let i = 0; i < 256; i++) {
    const p = i * 3;
    if (p + 2 < palette.length) bytes.set(palette.subarray(p, p + 3), i * 4);
    bytes[i * 4 + 3] = transparency && i < transparency.length ? transparency[i]! : 255;
  }
  return table;
}

function paletteExpander(layout: PngLayout): RowExpander {
  const { bitDepth, width } = layout;
  const table = paletteTable(layout);
  const mask = (1 << bitDepth) - 1;
  let words: Uint32Array = new Uint32Array(0);
  return (row, out) => {
    // One 32-bit store per pixel (the table is in the platform's byte order, as `out` is read);
    // the view is made once per output row buffer, which the decoder reuses.
    if (words.buffer !== out.buffer) words = new Uint32Array(out.buffer, out.byteOffset, width);
    for (let x = 0; x < width; x++) words[x] = table[sampleAt(row, x, bitDepth, mask)]!;
  };
}
