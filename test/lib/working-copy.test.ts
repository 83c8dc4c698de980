import { expect } from 'chai';
import type { Bitmap } from '../../lib/types.js';
import { areaAverage } from '../../lib/working-copy.js';

/** A bitmap of pseudo-random pixels (alpha too when `alpha`), the same for the same seed. */
function noise(width: number, height: number, seed: number, alpha: boolean): Bitmap {
  const data = new Uint8ClampedArray(width * height * 4);
  let state = seed;
  for (let i = 0; i < data.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    data[i] = !alpha && i % 4 === 3 ? 255 : state >>> 24;
  }
  return { width, height, data };
}

/**
 * The rule areaAverage documents, computed directly: each output pixel is the alpha-weighted
 * mean of the source pixels sampled in its cell (every step-th pixel from step / 2, cells on
 * integer boundaries), its alpha the mean alpha of those samples.
 */
function expectedAverage(source: Bitmap, width: number, height: number): number[] {
  const step = Math.max(1, Math.floor(Math.min(source.width / width, source.height / height) / 4));
  const cell = (at: number, length: number, count: number) =>
    Math.min(count - 1, Math.floor((at * count) / length));
  const out: number[] = [];
  for (let row = 0; row < height; row++) {
    for (let column = 0; column < width; column++) {
      let [r, g, b, a, n] = [0, 0, 0, 0, 0];
      for (let y = step >> 1; y < source.height; y += step) {
        if (cell(y, source.height, height) !== row) continue;
        for (let x = step >> 1; x < source.width; x += step) {
          if (cell(x, source.width, width) !== column) continue;
          const i = (y * source.width + x) * 4;
          const weight = source.data[i + 3]!;
          [r, g, b, a, n] = [
            r + source.data[i]! * weight,
            g + source.data[i + 1]! * weight,
            b + source.data[i + 2]! * weight,
            a + weight,
            n + 1,
          ];
        }
      }
      const colour = a > 0 ? [r / a, g / a, b / a].map(Math.round) : [0, 0, 0];
      out.push(...colour, Math.round(a / n));
    }
  }
  return out;
}

describe('areaAverage', () => {
  const cases: [number, number, number, number, boolean][] = [
    [800, 600, 64, 48, false],
    [800, 600, 64, 48, true],
    [333, 97, 64, 19, true],
    [50, 70, 32, 32, false],
    [1000, 3, 64, 1, true],
  ];
  for (const [sw, sh, width, height, alpha] of cases) {
    it(`averages ${sw}x${sh}${alpha ? ' with alpha' : ''} into ${width}x${height} cells exactly as documented`, () => {
      const source = noise(sw, sh, sw * 31 + sh, alpha);
      const result = areaAverage(source, { width, height });
      expect([result.width, result.height]).to.deep.equal([
        Math.min(width, sw),
        Math.min(height, sh),
      ]);
      expect(Array.from(result.data)).to.deep.equal(
        expectedAverage(source, result.width, result.height),
      );
    });
  }
});
