import { expect } from 'chai';
import {
  lanczosReference,
  premultiplied,
  psnrAgainst,
  type RawImage,
} from '../../bench/fidelity.js';

function image(width: number, height: number, value: (x: number, y: number) => number): RawImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++)
      data.fill(value(x, y), (y * width + x) * 3, (y * width + x) * 3 + 3);
  }
  return { width, height, channels: 3, data };
}

describe('bench fidelity reference', () => {
  it('keeps a flat image flat at any size', () => {
    const reference = lanczosReference(
      image(97, 61, () => 173),
      40,
      25,
    );
    expect(reference.length).to.equal(40 * 25 * 3);
    for (const value of reference) expect(value).to.be.closeTo(173, 1e-9);
  });

  it('averages stripes finer than the output can hold into mid grey', () => {
    const stripes = image(400, 40, (x) => (x % 2 === 0 ? 0 : 255));
    const reference = lanczosReference(stripes, 40, 4);
    const inner = reference.slice(3 * 5, 3 * 35);
    for (const value of inner) expect(value).to.be.closeTo(127.5, 2);
  });

  it('keeps a ramp a ramp when shrinking by a whole factor', () => {
    const ramp = image(200, 10, (x) => x);
    const reference = lanczosReference(ramp, 50, 10);
    // Output pixel i covers source pixels 4i..4i+3, whose mean is 4i + 1.5.
    for (let i = 5; i < 45; i++) expect(reference[i * 3]!).to.be.closeTo(4 * i + 1.5, 0.01);
  });

  it('scores an identical image as infinite and a shifted one by its error', () => {
    const flat = image(8, 8, () => 100);
    const reference = lanczosReference(flat, 8, 8);
    expect(psnrAgainst(reference, flat)).to.equal(Infinity);
    const off = image(8, 8, () => 110);
    expect(psnrAgainst(reference, off)).to.be.closeTo(10 * Math.log10((255 * 255) / 100), 1e-9);
    expect(() =>
      psnrAgainst(
        reference,
        image(4, 4, () => 0),
      ),
    ).to.throw(RangeError);
  });
});

describe('bench fidelity with alpha', () => {
  it('compares premultiplied: the colour of a fully transparent pixel does not count', () => {
    const rgba = (hidden: number): RawImage => ({
      width: 2,
      height: 1,
      channels: 4,
      data: Uint8Array.from([200, 100, 50, 255, hidden, hidden, hidden, 0]),
    });
    const reference = lanczosReference(premultiplied(rgba(0)), 2, 1);
    expect(reference.length).to.equal(8);
    expect(psnrAgainst(reference, premultiplied(rgba(255)))).to.equal(
      psnrAgainst(reference, premultiplied(rgba(0))),
    );
  });
});
