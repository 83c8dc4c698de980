/**
 * The decode stage with shrink-on-load: which JPEGs it decodes at a reduced DCT scale through
 * lib/jpeg, and that the reduced bitmap is the full-size decode, area-averaged.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { decodeImage } from '../../../lib/decode.js';
import { decodeJpegWasm } from '../../../lib/codecs/index.js';
import { getFixture } from '../../fixtures.js';

const bytesOf = (name: string): Uint8Array => new Uint8Array(readFileSync(getFixture(name).path));

/**
 * Separable area average of the R, G and B of an RGBA bitmap to `width` x `height`: each
 * output pixel is the mean of the source area it covers, partial pixels weighted by overlap.
 */
function areaAverage(
  source: { width: number; height: number; data: Uint8Array | Uint8ClampedArray },
  width: number,
  height: number,
): Float64Array {
  /** Per output index: first source index and the weights of the sources it overlaps. */
  const spans = (from: number, to: number): { start: number; weights: number[] }[] =>
    Array.from({ length: to }, (_, i) => {
      const begin = (i * from) / to;
      const end = ((i + 1) * from) / to;
      const start = Math.floor(begin);
      const weights: number[] = [];
      for (let j = start; j < end; j++) {
        weights.push((Math.min(end, j + 1) - Math.max(begin, j)) / (end - begin));
      }
      return { start, weights };
    });
  const xs = spans(source.width, width);
  const ys = spans(source.height, height);
  const rows = new Float64Array(width * source.height * 3);
  for (let y = 0; y < source.height; y++) {
    for (let x = 0; x < width; x++) {
      const { start, weights } = xs[x]!;
      for (let k = 0; k < weights.length; k++) {
        const from = (y * source.width + start + k) * 4;
        const to = (y * width + x) * 3;
        for (let c = 0; c < 3; c++) {
          rows[to + c] = rows[to + c]! + weights[k]! * source.data[from + c]!;
        }
      }
    }
  }
  const out = new Float64Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const { start, weights } = ys[y]!;
    for (let k = 0; k < weights.length; k++) {
      const from = (start + k) * width * 3;
      const to = y * width * 3;
      for (let i = 0; i < width * 3; i++)
        out[to + i] = out[to + i]! + weights[k]! * rows[from + i]!;
    }
  }
  return out;
}

describe('lib/decode with shrink-on-load JPEG decoding', () => {
  it('decodes a 12 MP baseline photo for an 800x600 box at 3/8 scale (1500x1125)', async () => {
    const bytes = bytesOf('size/large-photo.jpg');
    const decoded = await decodeImage({
      bytes,
      format: 'jpeg',
      name: 'large-photo.jpg',
      targetBox: { width: 800, height: 600 },
    });
    expect([decoded.width, decoded.height]).to.deep.equal([4000, 3000]);
    expect([decoded.bitmap.width, decoded.bitmap.height]).to.deep.equal([1500, 1125]);
    expect(decoded.info.colorSpace).to.equal('srgb');

    // Each output pixel is close to the mean of the 8/3 x 8/3 area of the full-size decode.
    const { image: full } = await decodeJpegWasm(bytes);
    const expected = areaAverage(full, 1500, 1125);
    let squared = 0;
    for (let i = 0; i < 1500 * 1125; i++) {
      for (let c = 0; c < 3; c++) {
        const d = decoded.bitmap.data[i * 4 + c]! - expected[i * 3 + c]!;
        squared += d * d;
      }
    }
    const psnr = 10 * Math.log10((255 * 255 * 1500 * 1125 * 3) / squared);
    expect(psnr).to.be.at.least(35);
  });

  it('shrinks only as far as leaves the resize room: 4/8 (2000x1500) for a 1200x900 box', async () => {
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
