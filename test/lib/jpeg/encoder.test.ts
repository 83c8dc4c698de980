/**
 * Our baseline JPEG encoder against the encoder it replaced, libjpeg-turbo's TurboJPEG (4:2:2,
 * its choice of DCT by quality): the same file, byte for byte, for photos, noise and flat
 * colour, at sizes that leave partial MCUs and dummy blocks, at every kind of quality.
 */
import { expect } from 'chai';
import sharp from 'sharp';
import { encodeBaselineJpeg, type RgbaImage } from '../../../lib/jpeg/encoder.js';
import { getFixture } from '../../fixtures.js';
import { turboJpeg } from './turbo-reference.js';

/** A photo from the project fixtures, resized (not kept in proportion) to `width` x `height`. */
async function photo(width: number, height: number): Promise<RgbaImage> {
  const { data } = await sharp(getFixture('jpeg/camera-exif-gps.jpg').path)
    .resize(width, height, { fit: 'fill' })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** Pixels from a seeded generator: the worst case for the entropy coder (long codes, big values). */
function noise(width: number, height: number, seed: number): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  let state = seed;
  for (let i = 0; i < data.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    data[i] = state >>> 24;
  }
  return { width, height, data };
}

/** Asserts our file equals TurboJPEG's, naming the first byte that differs. */
async function expectSameAsTurbo(image: RgbaImage, quality: number): Promise<void> {
  const ours = encodeBaselineJpeg(image, quality);
  const reference = await turboJpeg(image, quality);
  const first = ours.findIndex((byte, i) => byte !== reference[i]);
  const what = `${image.width}x${image.height} at quality ${quality}`;
  expect(first, `${what}: first differing byte`).to.equal(
    ours.length === reference.length ? -1 : Math.min(ours.length, reference.length),
  );
  expect(ours.length, what).to.equal(reference.length);
}

describe('lib/jpeg encodeBaselineJpeg', () => {
  for (const [width, height] of [
    [800, 600],
    [150, 150],
    [401, 299],
    [71, 67],
    [57, 129],
  ] as const) {
    it(`writes TurboJPEG's bytes for a ${width}x${height} photo at qualities 1 to 100`, async () => {
      const image = await photo(width, height);
      for (const quality of [1, 10, 50, 75, 82, 95, 96, 100]) {
        await expectSameAsTurbo(image, quality);
      }
    });
  }

  it("writes TurboJPEG's bytes for noise (long codes, large coefficients) and flat colour", async () => {
    await expectSameAsTurbo(noise(97, 61, 7), 82);
    await expectSameAsTurbo(noise(64, 64, 11), 100);
    const flat = { width: 48, height: 40, data: new Uint8Array(48 * 40 * 4).fill(200) };
    await expectSameAsTurbo(flat, 82);
  });

  it('refuses a buffer that is not width x height RGBA, naming the size it expected', () => {
    const image = { width: 10, height: 10, data: new Uint8Array(399) };
    expect(() => encodeBaselineJpeg(image, 82)).to.throw(RangeError, /10x10 RGBA \(400 bytes\)/);
  });
});
