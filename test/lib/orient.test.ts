import { expect } from 'chai';
import { applyOrientation, orientedSize } from '../../lib/orient.js';
import { bitmap, pixel } from './images.js';

/** A 3x2 bitmap whose pixel (x, y) has red = 10 * (y * 3 + x) + 10: each pixel is unique. */
const source = bitmap(3, 2, (x, y) => [10 * (y * 3 + x) + 10, 0, 0, 255]);
const label = (x: number, y: number) => 10 * (y * 3 + x) + 10;

/** Where stored pixel (x, y) of a 3x2 image lands in the displayed image, per EXIF. */
const EXPECTED: Record<number, (x: number, y: number) => [number, number]> = {
  1: (x, y) => [x, y],
  2: (x, y) => [2 - x, y],
  3: (x, y) => [2 - x, 1 - y],
  4: (x, y) => [x, 1 - y],
  5: (x, y) => [y, x],
  6: (x, y) => [1 - y, x],
  7: (x, y) => [1 - y, 2 - x],
  8: (x, y) => [y, 2 - x],
};

describe('applyOrientation', () => {
  for (const orientation of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`displays EXIF orientation ${orientation} upright`, () => {
      const upright = applyOrientation(source, orientation);
      expect(orientedSize({ width: 3, height: 2 }, orientation)).to.deep.equal({
        width: upright.width,
        height: upright.height,
      });
      for (let y = 0; y < 2; y++) {
        for (let x = 0; x < 3; x++) {
          const [dx, dy] = EXPECTED[orientation]!(x, y);
          expect(pixel(upright, dx, dy)[0], `(${x},${y}) -> (${dx},${dy})`).to.equal(label(x, y));
        }
      }
    });
  }

  it('rotates 90 clockwise for orientation 6: the stored top row becomes the right column', () => {
    const upright = applyOrientation(source, 6);
    expect([upright.width, upright.height]).to.deep.equal([2, 3]);
    expect([0, 1, 2].map((y) => pixel(upright, 1, y)[0])).to.deep.equal([10, 20, 30]);
  });

  it('ignores values outside 1-8', () => {
    expect(applyOrientation(source, 0)).to.equal(source);
    expect(applyOrientation(source, 9)).to.equal(source);
  });
});
