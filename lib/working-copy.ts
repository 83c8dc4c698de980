/**
 * The small working copy that the web-ready stages (placeholder, dominant colour, perceptual
 * hash, crop position) read instead of the resized image: made once per image, at most 64
 * pixels a side, so each of those stages costs microseconds and the copy itself a sampled pass
 * over the resized image. Never made from the full-size bitmap.
 */
import type { Size } from './resize.js';
import type { Bitmap } from './types.js';

/**
 * The working copy's longest side: twice the perceptual hash's 32, a crop placed to within
 * 2 % of the width, and few enough pixels that the stages reading it cost microseconds.
 */
export const WORKING_COPY_SIDE = 64;

/** Samples taken along each side of a cell, at least (so 16 or more a cell): see `areaAverage`. */
const SAMPLES_PER_CELL_SIDE = 4;

/**
 * The sampled positions along one axis of `length` pixels (every `step`-th from `step / 2`),
 * grouped by the one of `count` cells each falls in (integer boundaries, so every source pixel
 * belongs to one cell): cell c's are `positions[first[c]]` to `positions[first[c + 1] - 1]`.
 */
function samplesByCell(
  length: number,
  count: number,
  step: number,
): { positions: Int32Array; first: Int32Array } {
  const positions = new Int32Array(Math.ceil((length - (step >> 1)) / step));
  const first = new Int32Array(count + 1);
  for (let n = 0, at = step >> 1; at < length; n++, at += step) {
    positions[n] = at;
    first[Math.min(count - 1, Math.floor((at * count) / length)) + 1]!++;
  }
  for (let cell = 0; cell < count; cell++) first[cell + 1]! += first[cell]!;
  return { positions, first };
}

type CellSamples = ReturnType<typeof samplesByCell>;

/**
 * Writes at `out[o]` the alpha-weighted mean of the samples of one cell (`column`, `row`). Sums
 * in local integers, one cell at a time: a cold start runs this in V8's interpreter, where the
 * same sums scattered into a Float64Array per sample (the first version) cost a boxed number
 * per read, and their garbage collections.
 */
function averageCell(
  source: Bitmap,
  columns: CellSamples,
  rows: CellSamples,
  column: number,
  row: number,
  out: Uint8ClampedArray,
  o: number,
): void {
  const data = source.data;
  const left = columns.first[column]!;
  const right = columns.first[column + 1]!;
  const top = rows.first[row]!;
  const bottom = rows.first[row + 1]!;
  let red = 0;
  let green = 0;
  let blue = 0;
  let alpha = 0;
  for (let r = top; r < bottom; r++) {
    const rowStart = rows.positions[r]! * source.width;
    for (let c = left; c < right; c++) {
      const i = (rowStart + columns.positions[c]!) * 4;
      const weight = data[i + 3]!;
      red += data[i]! * weight;
      green += data[i + 1]! * weight;
      blue += data[i + 2]! * weight;
      alpha += weight;
    }
  }
  if (alpha > 0) {
    out[o] = Math.round(red / alpha);
    out[o + 1] = Math.round(green / alpha);
    out[o + 2] = Math.round(blue / alpha);
  }
  out[o + 3] = Math.round(alpha / ((bottom - top) * (right - left)));
}

/**
 * `source` averaged down to `size` (each way at most the source's): every output pixel is the
 * mean of its cell's source pixels, weighted by alpha so transparent pixels lend no colour.
 * Cells wider than 4 pixels are sampled on a regular grid of every n-th pixel (at least 16
 * samples a cell): the source is already a filtered resize, so this changes the mean by
 * little and bounds the cost whatever the source's size.
 */
export function areaAverage(source: Bitmap, size: Size): Bitmap {
  const width = Math.min(size.width, source.width);
  const height = Math.min(size.height, source.height);
  const cellSide = Math.min(source.width / width, source.height / height);
  const step = Math.max(1, Math.floor(cellSide / SAMPLES_PER_CELL_SIDE));
  const columns = samplesByCell(source.width, width, step);
  const rows = samplesByCell(source.height, height, step);
  const out = new Uint8ClampedArray(width * height * 4);
  for (let row = 0; row < height; row++) {
    for (let column = 0; column < width; column++) {
      averageCell(source, columns, rows, column, row, out, (row * width + column) * 4);
    }
  }
  return { width, height, data: out };
}

/**
 * The working copy of `source`: fitted inside 64x64 (or `maxSide`), aspect kept (each side at least one
 * pixel), by area average. A source already that small is returned as it is.
 */
export function workingCopy(source: Bitmap, maxSide = WORKING_COPY_SIDE): Bitmap {
  const scale = Math.min(1, maxSide / Math.max(source.width, source.height));
  if (scale === 1) return source;
  return areaAverage(source, {
    width: Math.max(1, Math.round(source.width * scale)),
    height: Math.max(1, Math.round(source.height * scale)),
  });
}
