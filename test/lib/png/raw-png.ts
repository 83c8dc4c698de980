/**
 * A tiny PNG writer for the tests: any colour type and bit depth, every filter type, optional
 * palette, tRNS and Adam7 interlacing, image data split over several IDAT chunks. Lets a test
 * build exactly the file it means, without an encoder that picks its own layout.
 */
import { deflateSync } from 'node:zlib';
import { PNG_SIGNATURE, pngChunk } from '../images.js';

/** What to write. Samples are in the bit depth's own range (0-1 for depth 1, 0-65535 for 16). */
export interface RawPngSpec {
  width: number;
  height: number;
  colorType: 0 | 2 | 3 | 4 | 6;
  bitDepth: 1 | 2 | 4 | 8 | 16;
  /** Sample `c` of pixel (x, y). */
  sample: (x: number, y: number, c: number) => number;
  /** PLTE entries (colour type 3). */
  palette?: readonly (readonly [number, number, number])[];
  /** The tRNS chunk's data, as written. */
  transparency?: readonly number[];
  /** Adam7 interlacing. */
  interlaced?: boolean;
  /** The filter of row y (default: cycles through all five). */
  filterOf?: (y: number) => number;
  /** Split the zlib data over IDAT chunks of at most this many bytes. */
  idatSize?: number;
  /** Extra chunks written after IHDR (e.g. acTL). */
  extra?: readonly Uint8Array[];
}

const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** The packed bytes of one row of pixels xs (a pass's columns), MSB first below 8 bits. */
function packRow(spec: RawPngSpec, y: number, xs: number[]): Uint8Array {
  const channels = CHANNELS[spec.colorType];
  const bits = spec.bitDepth;
  const out = new Uint8Array(Math.ceil((xs.length * channels * bits) / 8));
  let bit = 0;
  for (const x of xs) {
    for (let c = 0; c < channels; c++) {
      const value = spec.sample(x, y, c);
      if (bits === 16) {
        out[bit >> 3] = value >> 8;
        out[(bit >> 3) + 1] = value & 255;
      } else {
        out[bit >> 3]! |= value << (8 - bits - (bit & 7));
      }
      bit += bits;
    }
  }
  return out;
}

/** One row filtered with `filter` against the previous row, filter byte first (PNG spec 9). */
export function filterLine(
  filter: number,
  row: Uint8Array,
  prev: Uint8Array,
  bpp: number,
): Uint8Array {
  const out = new Uint8Array(row.length + 1);
  out[0] = filter;
  for (let i = 0; i < row.length; i++) {
    const a = i >= bpp ? row[i - bpp]! : 0;
    const b = prev[i]!;
    const c = i >= bpp ? prev[i - bpp]! : 0;
    const predictor = [0, a, b, (a + b) >> 1, paeth(a, b, c)][filter] ?? 0;
    out[i + 1] = (row[i]! - predictor) & 255;
  }
  return out;
}

/** Filters rows with `filterOf` (bytes per pixel for the filters: at least 1). */
function filterRows(spec: RawPngSpec, rows: Uint8Array[], firstRow: number): Uint8Array[] {
  const bpp = Math.max(1, (CHANNELS[spec.colorType] * spec.bitDepth) >> 3);
  let prev: Uint8Array = new Uint8Array(rows[0]?.length ?? 0);
  return rows.map((row, index) => {
    const filter = (spec.filterOf ?? ((y: number) => y % 5))(firstRow + index);
    const out = filterLine(filter, row, prev, bpp);
    prev = row;
    return out;
  });
}

const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i += step) out.push(i);
  return out;
}

/** The filtered scanlines of the whole image (each Adam7 pass its own sub-image). */
function scanlines(spec: RawPngSpec): Uint8Array[] {
  const passes = spec.interlaced ? ADAM7 : [[0, 0, 1, 1] as const];
  const out: Uint8Array[] = [];
  for (const [x0, y0, dx, dy] of passes) {
    const xs = range(x0, spec.width, dx);
    const ys = range(y0, spec.height, dy);
    if (xs.length === 0 || ys.length === 0) continue;
    out.push(
      ...filterRows(
        spec,
        ys.map((y) => packRow(spec, y, xs)),
        0,
      ),
    );
  }
  return out;
}

function u32(value: number): number[] {
  return [(value >>> 24) & 255, (value >>> 16) & 255, (value >>> 8) & 255, value & 255];
}

/** Writes the PNG `spec` describes. */
export function rawPng(spec: RawPngSpec): Uint8Array {
  const ihdr = Uint8Array.from([
    ...u32(spec.width),
    ...u32(spec.height),
    spec.bitDepth,
    spec.colorType,
    0,
    0,
    spec.interlaced ? 1 : 0,
  ]);
  const lines = scanlines(spec);
  const raw = new Uint8Array(lines.reduce((n, line) => n + line.length, 0));
  let offset = 0;
  for (const line of lines) {
    raw.set(line, offset);
    offset += line.length;
  }
  const zlib = deflateSync(raw);
  const size = spec.idatSize ?? zlib.length;
  const idats: Uint8Array[] = [];
  for (let i = 0; i < zlib.length; i += size)
    idats.push(pngChunk('IDAT', zlib.subarray(i, i + size)));
  const chunks = [pngChunk('IHDR', ihdr), ...(spec.extra ?? [])];
  if (spec.palette) chunks.push(pngChunk('PLTE', Uint8Array.from(spec.palette.flat())));
  if (spec.transparency) chunks.push(pngChunk('tRNS', Uint8Array.from(spec.transparency)));
  chunks.push(...idats, pngChunk('IEND', new Uint8Array(0)));
  const parts = [PNG_SIGNATURE, ...chunks];
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
