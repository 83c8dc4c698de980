import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import {
  resamplePlanesToRgba,
  resamplePlaneSimd,
  resampleRgbaSimd,
  type AxisTaps,
  type ByteRows,
} from '../../../lib/kernels/resample-kernels.js';
import { WASM_FILES } from '../../../scripts/build-kernels.js';

/** A deterministic pseudo-random source (the same bytes every run). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x80000000;
  };
}

/** Taps for `outputs` samples over `inputs`: random starts, 1-6 random weights summing to 1. */
function randomTaps(inputs: number, outputs: number, next: () => number): AxisTaps {
  const stride = 6;
  const start = new Int32Array(outputs);
  const count = new Int32Array(outputs);
  const weights = new Float32Array(outputs * stride);
  for (let i = 0; i < outputs; i++) {
    count[i] = 1 + Math.floor(next() * Math.min(stride, inputs));
    start[i] = Math.floor(next() * (inputs - count[i]! + 1));
    let sum = 0;
    for (let t = 0; t < count[i]!; t++) sum += weights[i * stride + t] = next() * 2 - 0.5;
    for (let t = 0; t < count[i]!; t++) weights[i * stride + t]! /= sum;
  }
  return { start, count, weights, stride };
}

/** Random bytes laid out as `rows` rows of `width`, `stride` apart, from `offset`. */
function randomRows(width: number, rows: number, next: () => number): ByteRows {
  const stride = width + 5;
  const offset = 3;
  const data = new Uint8Array(offset + stride * rows);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(next() * 256);
  return { data, offset, stride, width, rows };
}

const at = (rows: ByteRows, x: number, y: number) => rows.data[rows.offset + y * rows.stride + x]!;

/** The weighted sums done the obvious way, in double precision: vertical, then horizontal. */
function referenceSums(
  sample: (x: number, y: number) => number,
  horizontal: AxisTaps,
  vertical: AxisTaps,
): number[][] {
  return Array.from(vertical.start, (rowStart, y) =>
    Array.from(horizontal.start, (colStart, x) => {
      let sum = 0;
      for (let v = 0; v < vertical.count[y]!; v++) {
        for (let h = 0; h < horizontal.count[x]!; h++) {
          const weight =
            vertical.weights[y * vertical.stride + v]! *
            horizontal.weights[x * horizontal.stride + h]!;
          sum += weight * sample(colStart + h, rowStart + v);
        }
      }
      return sum;
    }),
  );
}

const byte = (value: number) => Math.min(255, Math.max(0, Math.round(value)));

describe('resample kernels (WebAssembly SIMD)', () => {
  it('ship as their source compiled: resample-wasm.ts is what npm run kernels makes of resample.wat', async () => {
    const { target, compile } = WASM_FILES.kernels;
    const generated = await compile();
    expect(readFileSync(target, 'utf8')).to.equal(generated);
  });

  it('resample a plane of any size (row tails, strides, offsets, strips of rows) to the exact weighted sums', () => {
    for (const [width, height, outW, outH] of [
      [37, 23, 19, 13],
      [16, 16, 16, 16],
      [5, 3, 9, 7],
      [101, 2, 1, 1],
      [23, 150, 11, 131],
    ] as const) {
      const next = random(width * 31 + height);
      const source = randomRows(width, height, next);
      const horizontal = randomTaps(width, outW, next);
      const vertical = randomTaps(height, outH, next);
      const result = resamplePlaneSimd({ source, rowFirst: 0, horizontal, vertical });
      const expected = referenceSums((x, y) => at(source, x, y), horizontal, vertical);
      expect(result.length).to.equal(outW * outH);
      expected.forEach((row, y) =>
        row.forEach((value, x) =>
          expect(result[y * outW + x], `${width}x${height} at ${x},${y}`).to.be.closeTo(
            value,
            0.01,
          ),
        ),
      );
    }
  });

  it('treat tap starts as relative to the first row given (rowFirst)', () => {
    const next = random(7);
    const source = randomRows(20, 10, next);
    const vertical = randomTaps(10, 4, next);
    const horizontal = randomTaps(20, 8, next);
    const shifted = { ...vertical, start: vertical.start.map((start) => start + 100) };
    const direct = resamplePlaneSimd({ source, rowFirst: 0, horizontal, vertical });
    const offset = resamplePlaneSimd({ source, rowFirst: 100, horizontal, vertical: shifted });
    expect([...offset]).to.deep.equal([...direct]);
  });

  it('resample opaque RGBA to rounded, clamped bytes with alpha 255, across strips of rows', () => {
    const next = random(11);
    const pixels = randomRows(13 * 4, 150, next);
    const horizontal = randomTaps(13, 6, next);
    const vertical = randomTaps(150, 130, next);
    const out = resampleRgbaSimd(pixels, 0, 0, horizontal, vertical, false);
    expect(out.length).to.equal(6 * 130 * 4);
    for (let c = 0; c < 3; c++) {
      const sums = referenceSums((x, y) => at(pixels, x * 4 + c, y), horizontal, vertical);
      sums.forEach((row, y) =>
        row.forEach((value, x) =>
          expect(Math.abs(out[(y * 6 + x) * 4 + c]! - byte(value)), `${x},${y}`).to.be.at.most(1),
        ),
      );
    }
    for (let i = 3; i < out.length; i += 4) expect(out[i]).to.equal(255);
  });

  it('weight colour by alpha, so transparent pixels lend no colour to their neighbours', () => {
    const next = random(5);
    const pixels = randomRows(11 * 4, 7, next);
    for (let i = 0; i < pixels.data.length; i += 8) pixels.data[i] = 0;
    const horizontal = randomTaps(11, 5, next);
    const vertical = randomTaps(7, 4, next);
    const out = resampleRgbaSimd(pixels, 0, 0, horizontal, vertical, true);
    const alpha = referenceSums((x, y) => at(pixels, x * 4 + 3, y), horizontal, vertical);
    for (let c = 0; c < 3; c++) {
      const weighted = referenceSums(
        (x, y) => at(pixels, x * 4 + c, y) * at(pixels, x * 4 + 3, y),
        horizontal,
        vertical,
      );
      weighted.forEach((row, y) =>
        row.forEach((value, x) => {
          const a = alpha[y]![x]!;
          const expected = a > 0 ? byte(value / a) : 0;
          expect(Math.abs(out[(y * 5 + x) * 4 + c]! - expected), `channel ${c}`).to.be.at.most(1);
        }),
      );
    }
    alpha.forEach((row, y) =>
      row.forEach((a, x) => expect(Math.abs(out[(y * 5 + x) * 4 + 3]! - byte(a))).to.be.at.most(1)),
    );
  });

  it('convert resampled YCbCr planes to RGB, and one grey plane to grey', () => {
    const next = random(3);
    const planes = [0, 1, 2].map(() => randomRows(9, 6, next));
    const horizontal = randomTaps(9, 7, next);
    const vertical = randomTaps(6, 5, next);
    const jobs = planes.map((source) => ({ source, rowFirst: 0, horizontal, vertical }));
    const rgb = resamplePlanesToRgba(jobs, true);
    const [y, cb, cr] = planes.map((plane) =>
      referenceSums((x, row) => at(plane, x, row), horizontal, vertical),
    );
    for (let row = 0; row < 5; row++) {
      for (let x = 0; x < 7; x++) {
        const l = y![row]![x]!;
        const b = cb![row]![x]! - 128;
        const r = cr![row]![x]! - 128;
        const expected = [l + 1.402 * r, l - 0.34414 * b - 0.71414 * r, l + 1.772 * b, 255];
        const o = (row * 7 + x) * 4;
        expected.forEach((value, c) =>
          expect(Math.abs(rgb[o + c]! - byte(value)), `channel ${c}`).to.be.at.most(1),
        );
      }
    }
    const grey = resamplePlanesToRgba([jobs[0]!], false);
    for (let i = 0; i < grey.length; i += 4) {
      expect([grey[i + 1], grey[i + 2], grey[i + 3]]).to.deep.equal([grey[i], grey[i], 255]);
    }
  });
});
