import { expect } from 'chai';
import { chooseJpegScale, RESAMPLE_MARGIN } from '../../../lib/jpeg/index.js';

describe('lib/jpeg chooseJpegScale', () => {
  it('decodes a 12 MP photo for an 800x600 box at 3/8 (1500x1125), not 2/8 (1000x750, too tight to filter)', () => {
    expect(chooseJpegScale(4000, 3000, { width: 800, height: 600 })).to.equal(3);
  });

  it('decodes a 24 MP photo for an 800x533 box at 2/8 (1500x1000)', () => {
    expect(chooseJpegScale(6000, 4000, { width: 800, height: 533 })).to.equal(2);
  });

  it('goes to 1/8 when even that leaves 1.5 times the box (8000x6000 for 600x450: 1000x750)', () => {
    expect(chooseJpegScale(8000, 6000, { width: 600, height: 450 })).to.equal(1);
    expect(chooseJpegScale(8000, 6000, { width: 800, height: 600 })).to.equal(2);
  });

  it('decodes at 4/8 when 3/8 would leave less than 1.5 times the box', () => {
    // 3/8 of 3000x2250 is 1125x844, short of 1200x900; 4/8 is 1500x1125.
    expect(chooseJpegScale(3000, 2250, { width: 800, height: 600 })).to.equal(4);
  });

  it('keeps full size when no reduced scale leaves 1.5 times the box (1152x864 for 800x600)', () => {
    expect(chooseJpegScale(1152, 864, { width: 800, height: 600 })).to.equal(8);
    expect(chooseJpegScale(640, 480, { width: 640, height: 480 })).to.equal(8);
  });

  it('holds both directions to the margin: a panorama that fits one way only stays larger', () => {
    // 2/8 of 8000x1200 is 2000x300: wide enough for 1000, but 300 < 1.5 * 240.
    expect(chooseJpegScale(8000, 1200, { width: 1000, height: 240 })).to.equal(3);
  });

  it('counts the rounded-up partial block, like the decoder (ceil(1601 * 4 / 8) = 801)', () => {
    // 534 * 1.5 = 801: 4/8 of 1601 is 801 and just suffices, 4/8 of 1600 is 800 and does not.
    const box = { width: 534, height: 400 };
    expect(box.width * RESAMPLE_MARGIN).to.equal(801);
    expect(chooseJpegScale(1601, 1201, box)).to.equal(4);
    expect(chooseJpegScale(1600, 1200, box)).to.equal(8);
  });

  it('honours a box already swapped for a portrait EXIF rotation', () => {
    // Stored 4000x3000, shown rotated 90 degrees: it fits 800x600 as 450x600, which is 600x450
    // stored-side, and 2/8 (1000x750) leaves it room; an unswapped 450x600 would need 3/8.
    expect(chooseJpegScale(4000, 3000, { width: 600, height: 450 })).to.equal(2);
    expect(chooseJpegScale(4000, 3000, { width: 450, height: 600 })).to.equal(3);
  });
});
