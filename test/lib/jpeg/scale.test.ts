import { expect } from 'chai';
import { chooseJpegScale } from '../../../lib/jpeg/index.js';

describe('lib/jpeg chooseJpegScale', () => {
  it('decodes a 12 MP photo for an 800x600 box at 1/4 (1000x750), not 1/8 (500x375)', () => {
    expect(chooseJpegScale(4000, 3000, { width: 800, height: 600 })).to.equal(4);
  });

  it('decodes a 24 MP photo for an 800x533 box at 1/4 (1500x1000)', () => {
    expect(chooseJpegScale(6000, 4000, { width: 800, height: 533 })).to.equal(4);
  });

  it('goes to 1/8 when even that covers the box', () => {
    expect(chooseJpegScale(8000, 6000, { width: 800, height: 600 })).to.equal(8);
  });

  it('keeps full size when the image is no larger than the box (never upscaled)', () => {
    expect(chooseJpegScale(640, 480, { width: 640, height: 480 })).to.equal(1);
  });

  it('counts the rounded-up partial block, like the decoder (ceil(1601 / 2) = 801)', () => {
    expect(chooseJpegScale(1601, 1201, { width: 801, height: 601 })).to.equal(2);
    expect(chooseJpegScale(1600, 1200, { width: 801, height: 600 })).to.equal(1);
  });

  it('honours a box already swapped for a portrait EXIF rotation', () => {
    // Stored 4000x3000, shown rotated 90 degrees: the 800x600 box becomes 450x600 stored-side.
    expect(chooseJpegScale(4000, 3000, { width: 600, height: 450 })).to.equal(4);
    expect(chooseJpegScale(4000, 3000, { width: 450, height: 338 })).to.equal(8);
  });
});
