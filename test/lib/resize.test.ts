import { expect } from 'chai';
import { coverBox, fitInside, resizeBitmap } from '../../lib/resize.js';
import { BLUE, GREEN, RED, WHITE, bitmap, near, pixel, quadrants } from './images.js';

describe('fitInside', () => {
  it('fits inside the box keeping the aspect ratio', () => {
    expect(fitInside(4000, 3000, 800, 600)).to.deep.equal({ width: 800, height: 600 });
    expect(fitInside(6000, 1000, 800, 600)).to.deep.equal({ width: 800, height: 133 });
    expect(fitInside(1000, 6000, 800, 600)).to.deep.equal({ width: 100, height: 600 });
  });

  it('never upscales and never returns zero', () => {
    expect(fitInside(640, 480, 800, 600)).to.deep.equal({ width: 640, height: 480 });
    expect(fitInside(1, 1, 800, 600)).to.deep.equal({ width: 1, height: 1 });
    expect(fitInside(100000, 10, 800, 600)).to.deep.equal({ width: 800, height: 1 });
  });
});

describe('resizeBitmap', () => {
  it('does not alias: a one-pixel checkerboard shrinks to even grey, not stripes or noise', () => {
    const checker = bitmap(1000, 1000, (x, y) =>
      (x + y) % 2 ? [255, 255, 255, 255] : [0, 0, 0, 255],
    );
    for (const size of [331, 150, 97]) {
      const small = resizeBitmap(checker, { width: size, height: size }, false);
      let min = 255;
      let max = 0;
      for (let i = 0; i < small.data.length; i += 4) {
        min = Math.min(min, small.data[i]!);
        max = Math.max(max, small.data[i]!);
      }
      expect(min, `min at ${size}`).to.be.greaterThan(110);
      expect(max, `max at ${size}`).to.be.lessThan(146);
    }
  });

  it('keeps regions in place at every scale (box pre-shrink plus filter)', () => {
    const source = quadrants(3000, 2000);
    const small = resizeBitmap(source, { width: 300, height: 200 }, false);
    expect([small.width, small.height]).to.deep.equal([300, 200]);
    expect(near(pixel(small, 10, 10), RED, 2)).to.equal(true);
    expect(near(pixel(small, 290, 10), GREEN, 2)).to.equal(true);
    expect(near(pixel(small, 10, 190), BLUE, 2)).to.equal(true);
    expect(near(pixel(small, 290, 190), WHITE, 2)).to.equal(true);
    // The boundary stays at the middle: column 149 is red, 150 is green (within filter blur).
    expect(pixel(small, 145, 50)[0]).to.be.greaterThan(240);
    expect(pixel(small, 154, 50)[1]).to.be.greaterThan(240);
  });

  it('filters with premultiplied alpha so transparent pixels do not darken edges', () => {
    // Left half opaque red, right half transparent black.
    const source = bitmap(400, 100, (x) => (x < 200 ? RED : [0, 0, 0, 0]));
    const small = resizeBitmap(source, { width: 40, height: 10 }, true);
    const edge = pixel(small, 19, 5);
    expect(edge[3]).to.be.greaterThan(100);
    expect(edge[0]).to.be.greaterThan(240); // still fully red where partly transparent
    expect(pixel(small, 35, 5)[3]).to.equal(0);
  });
});

describe('coverBox', () => {
  it('cover-crops around the centre to fill the box', () => {
    // Wide source: red | green | blue thirds; a square crop keeps the middle (green) third.
    const source = bitmap(600, 200, (x) => (x < 200 ? RED : x < 400 ? GREEN : BLUE));
    const thumb = coverBox(source, { width: 150, height: 150 }, false);
    expect([thumb.width, thumb.height]).to.deep.equal([150, 150]);
    expect(near(pixel(thumb, 5, 75), GREEN, 10)).to.equal(true);
    expect(near(pixel(thumb, 144, 75), GREEN, 10)).to.equal(true);
  });

  it('crops without upscaling a source smaller than the box', () => {
    const source = bitmap(300, 100, (x) => (x < 100 ? RED : x < 200 ? GREEN : BLUE));
    const thumb = coverBox(source, { width: 150, height: 150 }, false);
    expect([thumb.width, thumb.height]).to.deep.equal([150, 100]);
    expect(near(pixel(thumb, 75, 50), GREEN, 0)).to.equal(true);
  });
});
