/**
 * The decode stage with shrink-on-load: which JPEGs it decodes at a reduced DCT scale through
 * lib/jpeg, and that the reduced bitmap is the full-size decode, box-averaged.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { decodeImage } from '../../../lib/decode.js';
import { decodeJpegWasm } from '../../../lib/codecs/index.js';
import { getFixture } from '../../fixtures.js';

const bytesOf = (name: string): Uint8Array => new Uint8Array(readFileSync(getFixture(name).path));

describe('lib/decode with shrink-on-load JPEG decoding', () => {
  it('decodes a 12 MP baseline photo for an 800x600 box at 1/4 scale (1000x750)', async () => {
    const bytes = bytesOf('size/large-photo.jpg');
    const decoded = await decodeImage({
      bytes,
      format: 'jpeg',
      name: 'large-photo.jpg',
      targetBox: { width: 800, height: 600 },
    });
    expect([decoded.width, decoded.height]).to.deep.equal([4000, 3000]);
    expect([decoded.bitmap.width, decoded.bitmap.height]).to.deep.equal([1000, 750]);
    expect(decoded.info.colorSpace).to.equal('srgb');

    // Each output pixel is the mean of a 4x4 block of the full-size decode.
    const { image: full } = await decodeJpegWasm(bytes);
    let squared = 0;
    for (let y = 0; y < 750; y++) {
      for (let x = 0; x < 1000; x++) {
        for (let c = 0; c < 3; c++) {
          let sum = 0;
          for (let dy = 0; dy < 4; dy++) {
            for (let dx = 0; dx < 4; dx++)
              sum += full.data[((y * 4 + dy) * 4000 + x * 4 + dx) * 4 + c]!;
          }
          const d = decoded.bitmap.data[(y * 1000 + x) * 4 + c]! - sum / 16;
          squared += d * d;
        }
      }
    }
    const psnr = 10 * Math.log10((255 * 255 * 1000 * 750 * 3) / squared);
    expect(psnr).to.be.at.least(35);
  });

  it('shrinks only as far as the box allows: 1/2 when 1/4 would be smaller than the box', async () => {
    const decoded = await decodeImage({
      bytes: bytesOf('size/large-photo.jpg'),
      format: 'jpeg',
      name: 'large-photo.jpg',
      targetBox: { width: 1200, height: 900 },
    });
    expect([decoded.bitmap.width, decoded.bitmap.height]).to.deep.equal([2000, 1500]);
  });

  it('decodes at full size when the box needs every pixel', async () => {
    const decoded = await decodeImage({
      bytes: bytesOf('orientation/exif-6.jpg'),
      format: 'jpeg',
      name: 'exif-6.jpg',
      targetBox: { width: 120, height: 160 },
    });
    expect([decoded.bitmap.width, decoded.bitmap.height]).to.deep.equal([120, 160]);
  });

  it('leaves a progressive JPEG to mozjpeg, which decodes it at full size', async () => {
    const decoded = await decodeImage({
      bytes: bytesOf('jpeg/progressive.jpg'),
      format: 'jpeg',
      name: 'progressive.jpg',
      targetBox: { width: 40, height: 30 },
    });
    expect([decoded.bitmap.width, decoded.bitmap.height]).to.deep.equal([160, 120]);
    expect(decoded.info.progressive).to.equal(true);
  });

  it('still reports a truncated baseline JPEG as corrupt', async () => {
    let error: unknown;
    try {
      await decodeImage({
        bytes: bytesOf('bad/truncated.jpg'),
        format: 'jpeg',
        name: 'truncated.jpg',
        targetBox: { width: 8, height: 8 },
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).to.have.property('code', 'CORRUPT_IMAGE');
  });
});
