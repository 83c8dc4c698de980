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

/**
 * The index of the output cell each source position falls in, for `count` cells over `length`
 * positions (integer boundaries, so every source pixel counts once).
 */
function cellOf(length: number, count: number): Uint16Array {
  const cells = new Uint16Array(length);
  for (let i = 0; i < length; i++) cells[i] = Math.min(count - 1, Math.floor((i * count) / length));
  return cells;
}

/** Samples taken along each side of a cell, at least (so 16 or more a cell): see `areaAverage`. */
const SAMPLES_PER_CELL_SIDE = 4;

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
  const columns = cellOf(source.width, width);
  const rows = cellOf(source.height, height);
  const cellSide = Math.min(source.width / width, source.height / height);
  const step = Math.max(1, Math.floor(cellSide / SAMPLES_PER_CELL_SIDE));
  const sums = new Float64Array(width * height * 5);
  const data = source.data;
  for (let y = step >> 1; y < source.height; y += step) {
    const rowBase = rows[y]! * width;
    for (let x = step >> 1; x < source.width; x += step) {
      const i = (y * source.width + x) * 4;
      const s = (rowBase + columns[x]!) * 5;
      const alpha = data[i + 3]!;
      sums[s] = sums[s]! + data[i]! * alpha;
      sums[s + 1] = sums[s + 1]! + data[i + 1]! * alpha;
      sums[s + 2] = sums[s + 2]! + data[i + 2]! * alpha;
      sums[s + 3] = sums[s + 3]! + alpha;
      sums[s + 4] = sums[s + 4]! + 1;
    }
  }
  const out = new Uint8ClampedArray(width * height * 4);
  for (let cell = 0; cell < width * height; cell++) {
    const s = cell * 5;
    const alpha = sums[s + 3]!;
    const o = cell * 4;
    if (alpha > 0) {
      out[o] = Math.round(sums[s]! / alpha);
      out[o + 1] = Math.round(sums[s + 1]! / alpha);
      out[o + 2] = Math.round(sums[s + 2]! / alpha);
    }
    out[o + 3] = Math.round(alpha / sums[s + 4]!);
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
