/**
 * The resize's weighted sums in WebAssembly SIMD (resample.wat): four lanes per instruction
 * where the TypeScript loops did one. Measured on the bench photos (CPU time, medians, same
 * minute), TypeScript against here: the 1 MP JPEG's planes (1152x864 to 800x600 RGBA) 45 ms
 * against 7-11; the 12 MP one's (decoded at 3/8) 57-82 against 15; the 1 MP RGBA bitmap's
 * resize 45-50 against 11-15; the 150x150 cover crop of an 800x600 image 21 against 6.
 *
 * Every call is synchronous, so the calls of a thread share one instance, its memory laid out
 * afresh for each (see wasm-memory.ts for the calls too large to keep).
 */
import { RESAMPLE_WASM_BASE64 } from './resample-wasm.js';
import { Arena, KeptInstance, roundUp, type WasmMemoryExports } from './wasm-memory.js';

/** Filter taps of one axis, as lib/resize.ts computes them: for output i, `count[i]` weights from `start[i]`. */
export interface AxisTaps {
  start: Int32Array;
  count: Int32Array;
  weights: Float32Array;
  stride: number;
}

/** The source indices that outputs `from` to `to` of `taps` read: the first, and how many from there. */
export function tapSpan(
  taps: AxisTaps,
  from: number,
  to: number,
): { first: number; count: number } {
  let first = Infinity;
  let end = 0;
  for (let i = from; i < to; i++) {
    first = Math.min(first, taps.start[i]!);
    end = Math.max(end, taps.start[i]! + taps.count[i]!);
  }
  return { first, count: end - first };
}

/** A u8 image region: `rows` rows of `width` bytes, `stride` bytes apart, from `offset`. */
export interface ByteRows {
  data: Uint8Array | Uint8ClampedArray;
  offset: number;
  stride: number;
  width: number;
  rows: number;
}

interface Exports extends WasmMemoryExports {
  widenU8: (...args: number[]) => void;
  widenU8Premultiplied: (...args: number[]) => void;
  verticalF32: (...args: number[]) => void;
  horizontalRgba: (...args: number[]) => void;
  transposeF32: (...args: number[]) => void;
  packRgba: (...args: number[]) => void;
  planesToRgba: (...args: number[]) => void;
}

/** The kernels' module (about 5 KB) and this thread's instance of it. */
const kernels = new KeptInstance<Exports>(RESAMPLE_WASM_BASE64);

function copyRows(memory: ArrayBuffer, address: number, rows: ByteRows): void {
  const target = new Uint8Array(memory, address, rows.width * rows.rows);
  const { data, offset, stride, width } = rows;
  if (stride === width) {
    target.set(data.subarray(offset, offset + width * rows.rows));
    return;
  }
  for (let y = 0; y < rows.rows; y++) {
    const from = offset + y * stride;
    target.set(data.subarray(from, from + width), y * width);
  }
}

/** Places one axis's taps in memory, starts made relative to `first`. */
function placeTaps(arena: Arena, taps: AxisTaps) {
  const n = taps.start.length;
  return {
    start: arena.reserve(n * 4),
    count: arena.reserve(n * 4),
    weights: arena.reserve(taps.weights.length * 4),
    /** Writes the taps at their addresses plus `base`. */
    write(memory: ArrayBuffer, base: number, first: number): void {
      const start = new Int32Array(memory, base + this.start, n);
      for (let i = 0; i < n; i++) start[i] = taps.start[i]! - first;
      new Int32Array(memory, base + this.count, n).set(taps.count);
      new Float32Array(memory, base + this.weights, taps.weights.length).set(taps.weights);
    },
  };
}

/** One 8-bit plane to resample: the rows its vertical taps read (from `rowFirst`) and its taps. */
export interface PlaneJob {
  source: ByteRows;
  rowFirst: number;
  horizontal: AxisTaps;
  vertical: AxisTaps;
}

/** Output rows the vertical pass makes per call: what it holds stays small (see placeVertical). */
const STRIP = 64;

/** Output rows `from` to `to`, and the source rows (from the region's first) they read. */
interface Strip {
  from: number;
  to: number;
  first: number;
  rows: number;
}

/** The output rows in strips of STRIP, each with the source rows its taps read. */
function stripsOf(vertical: AxisTaps, rowFirst: number): Strip[] {
  const height = vertical.start.length;
  return Array.from({ length: Math.ceil(height / STRIP) }, (_, index) => {
    const from = index * STRIP;
    const to = Math.min(height, from + STRIP);
    const span = tapSpan(vertical, from, to);
    return { from, to, first: span.first - rowFirst, rows: span.count };
  });
}

/**
 * The vertical pass in strips: each strip's source rows copied in, widened to floats (by
 * `widen`, premultiplied for RGBA) and summed, so only one strip's source rows are in memory
 * at once (the 1 MP photo's RGBA resize held 25 MB whole, under 4 MB in strips). A cold
 * start's first image also runs most strips in the optimised code the first calls had V8
 * compile (one call would run to its end in the baseline code it started in).
 */
function placeVertical(arena: Arena, source: ByteRows, vertical: AxisTaps, rowFirst: number) {
  const strips = stripsOf(vertical, rowFirst);
  const stripBytes = source.width * Math.max(...strips.map((strip) => strip.rows));
  const src = arena.reserve(stripBytes);
  const wide = arena.reserve(roundUp(stripBytes, 16) * 4);
  const taps = placeTaps(arena, vertical);
  return {
    strips,
    /** Sums the strip's output rows into `dst` (`dstStride` floats a row, the strip's first at `dst`). */
    run(
      k: Exports,
      base: number,
      strip: Strip,
      dst: number,
      dstStride: number,
      premultiply = false,
    ) {
      const memory = k.memory.buffer;
      if (strip.from === 0) taps.write(memory, base, rowFirst);
      const offset = source.offset + strip.first * source.stride;
      copyRows(memory, base + src, { ...source, offset, rows: strip.rows });
      const widen = premultiply ? k.widenU8Premultiplied : k.widenU8;
      widen(base + src, source.width * strip.rows, base + wide);
      // Tap starts count from the region's first row: the base moves back by the strip's first.
      const rows = base + wide - strip.first * source.width * 4;
      const at = (address: number, perRow: number) => base + address + strip.from * perRow * 4;
      const weights = at(taps.weights, vertical.stride);
      const [start, count] = [at(taps.start, 1), at(taps.count, 1)];
      const n = strip.to - strip.from;
      k.verticalF32(
        rows,
        source.width,
        source.width,
        dst,
        dstStride,
        n,
        start,
        count,
        weights,
        vertical.stride,
      );
    },
  };
}

/**
 * A plane job placed in memory: its floats land at `out` in `arena`; everything else it uses
 * is scratch (`scratchBytes`, laid out from the `base` given to `run`), which planes resampled
 * one after another share.
 */
function placePlane(arena: Arena, job: PlaneJob) {
  const { source, horizontal, vertical } = job;
  const width = horizontal.start.length;
  const height = vertical.start.length;
  // The transposes work in 4x4 tiles: every size they read or write is rounded up to 4.
  const columns = roundUp(source.width, 16);
  const tall = roundUp(height, 16);
  const stride = roundUp(width, 4);
  const out = arena.reserve(tall * stride * 4);
  const scratch = new Arena();
  const down = placeVertical(scratch, source, vertical, job.rowFirst);
  const h = placeTaps(scratch, horizontal);
  const rowsDone = scratch.reserve(roundUp(height, 4) * columns * 4);
  const turned = scratch.reserve(columns * tall * 4);
  const colsDone = scratch.reserve(roundUp(width, 4) * tall * 4);
  const run = (k: Exports, base: number): void => {
    h.write(k.memory.buffer, base, 0);
    const [hStart, hCount, hWeights] = [base + h.start, base + h.count, base + h.weights];
    const [rows, cols, turn] = [base + rowsDone, base + colsDone, base + turned];
    for (const strip of down.strips) {
      down.run(k, base, strip, rows + strip.from * columns * 4, columns);
    }
    k.transposeF32(rows, columns, source.width, height, turn, tall);
    k.verticalF32(
      turn,
      tall,
      height,
      cols,
      tall,
      width,
      hStart,
      hCount,
      hWeights,
      horizontal.stride,
    );
    k.transposeF32(cols, tall, height, width, out, stride);
  };
  return { out, stride, scratchBytes: scratch.size, run };
}

/** Places the planes, then one scratch region as large as the largest needs; runs them in turn. */
function runPlanes(arena: Arena, jobs: readonly PlaneJob[]) {
  const planes = jobs.map((job) => placePlane(arena, job));
  const scratch = arena.reserve(Math.max(...planes.map((plane) => plane.scratchBytes)));
  return {
    planes,
    run: (k: Exports) => planes.forEach((plane) => plane.run(k, scratch)),
  };
}

/**
 * Resamples one 8-bit plane to its taps' size as floats, unrounded: a vertical pass, then the
 * horizontal one as a vertical pass over the transposed rows, so both run on contiguous lanes.
 */
export function resamplePlaneSimd(job: PlaneJob): Float32Array {
  const width = job.horizontal.start.length;
  const height = job.vertical.start.length;
  const arena = new Arena();
  const { planes, run } = runPlanes(arena, [job]);
  const plane = planes[0]!;
  const k = kernels.withMemory(arena.size);
  run(k);
  const rows = new Float32Array(k.memory.buffer, plane.out, height * plane.stride);
  const result = new Float32Array(height * width);
  for (let y = 0; y < height; y++) {
    result.set(rows.subarray(y * plane.stride, y * plane.stride + width), y * width);
  }
  return result;
}

/**
 * Resamples three planes (or one, grey) to the same size and converts them to RGBA bytes:
 * YCbCr to RGB when `ycc`, else the planes are R, G and B (one plane: grey in all three).
 */
export function resamplePlanesToRgba(jobs: readonly PlaneJob[], ycc: boolean): Uint8ClampedArray {
  const width = jobs[0]!.horizontal.start.length;
  const height = jobs[0]!.vertical.start.length;
  const arena = new Arena();
  const { planes, run } = runPlanes(arena, jobs);
  const rgba = arena.reserve(height * width * 4 + 16);
  const k = kernels.withMemory(arena.size);
  run(k);
  const first = planes[0]!.out;
  const [second, third] = planes.length === 3 ? [planes[1]!.out, planes[2]!.out] : [first, first];
  k.planesToRgba(first, second, third, planes[0]!.stride, width, height, rgba, ycc ? 1 : 0);
  return new Uint8ClampedArray(k.memory.buffer.slice(rgba, rgba + height * width * 4));
}

/**
 * Resamples RGBA pixels (`source`: the rows and columns the taps read, from `rowFirst` and
 * `colFirst`) to `width` x `height` RGBA bytes: vertical pass (premultiplied by alpha as read
 * when `premultiply`), horizontal pass one pixel per vector, then rounded and clamped (and
 * unpremultiplied). Opaque results get alpha 255. In strips of output rows (placeVertical).
 */
export function resampleRgbaSimd(
  source: ByteRows,
  rowFirst: number,
  colFirst: number,
  horizontal: AxisTaps,
  vertical: AxisTaps,
  premultiply: boolean,
): Uint8ClampedArray {
  const width = horizontal.start.length;
  const height = vertical.start.length;
  const rowFloats = roundUp(source.width, 16);
  const arena = new Arena();
  const down = placeVertical(arena, source, vertical, rowFirst);
  const h = placeTaps(arena, horizontal);
  const rowsDone = arena.reserve(STRIP * rowFloats * 4);
  const sums = arena.reserve(roundUp(STRIP * width, 4) * 16);
  const out = arena.reserve(roundUp(width * height, 4) * 4);
  const k = kernels.withMemory(arena.size);
  const memory = k.memory.buffer;
  h.write(memory, 0, colFirst);
  const across = [h.start, h.count, h.weights, horizontal.stride];
  for (const strip of down.strips) {
    down.run(k, 0, strip, rowsDone, rowFloats, premultiply);
    const n = strip.to - strip.from;
    k.horizontalRgba(rowsDone, rowFloats, width, sums, n, ...across);
    const pixels = roundUp(n * width, 4);
    const at = out + strip.from * width * 4;
    k.packRgba(sums, pixels, at, premultiply ? 1 : 0, premultiply ? 0 : 1);
  }
  return new Uint8ClampedArray(memory.slice(out, out + width * height * 4));
}
