import { expect } from 'chai';
import { decodeImage, hasJpegEnd } from '../../lib/decode.js';
import { loadCodecs } from '../../lib/index.js';
import { readJpegMarkers } from '../../lib/jpeg/markers.js';
import { jpegOf, photoLike, pixel, pngOf, quadrants, RED, near } from './images.js';

describe('decode', () => {
  before(async () => {
    await loadCodecs();
  });

  it('tells a complete JPEG from one cut before its end-of-image marker', async () => {
    const jpeg = await jpegOf(photoLike(64, 64));
    const ends = (bytes: Uint8Array) => hasJpegEnd(bytes, readJpegMarkers(bytes));
    expect(ends(jpeg)).to.equal(true);
    expect(ends(jpeg.subarray(0, jpeg.length - 2))).to.equal(false);
    // Trailing bytes after the marker (some cameras append data) are fine.
    expect(ends(Uint8Array.from([...jpeg, 1, 2, 3]))).to.equal(true);
  });

  it('decodes a JPEG to RGBA with its full size and header facts', async () => {
    const decoded = await decodeImage({
      bytes: await jpegOf(quadrants(40, 20)),
      format: 'jpeg',
      name: 'q.jpg',
      targetBox: { width: 800, height: 600 },
    });
    expect([decoded.width, decoded.height]).to.deep.equal([40, 20]);
    expect(decoded.info).to.include({
      hasAlpha: false,
      bitDepth: 8,
      colorSpace: 'srgb',
      progressive: false,
    });
    expect(near(pixel(decoded.bitmap, 5, 5), RED)).to.equal(true);
  });

  it('decodes a large JPEG at full size when shrink-on-load is off, and reduced when it is on', async () => {
    const bytes = await jpegOf(photoLike(640, 480));
    const request = {
      bytes,
      format: 'jpeg' as const,
      name: 'p.jpg',
      targetBox: { width: 80, height: 60 },
    };
    const full = await decodeImage({ ...request, shrinkOnLoad: false });
    expect([full.bitmap.width, full.bitmap.height]).to.deep.equal([640, 480]);
    const reduced = await decodeImage(request);
    expect(reduced.bitmap.width).to.be.below(640);
    expect(reduced.bitmap.width).to.be.at.least(80);
    expect([reduced.width, reduced.height]).to.deep.equal([640, 480]);
  });

  it('reports alpha only when a pixel is actually transparent', async () => {
    const opaque = await decodeImage({
      bytes: await pngOf(quadrants(8, 8)),
      format: 'png',
      name: 'o.png',
      targetBox: { width: 800, height: 600 },
    });
    expect(opaque.info.hasAlpha).to.equal(false);
  });
});

describe('decode refuses truncated files of the JavaScript-decoded formats', () => {
  it('refuses a TIFF whose strip runs past the end of the data', async () => {
    const UTIF = (await import('utif2')).default;
    const image = quadrants(64, 64);
    const tiff = new Uint8Array(UTIF.encodeImage(image.data as unknown as Uint8Array, 64, 64));
    const complete = await decodeImage({
      bytes: tiff,
      format: 'tiff',
      name: 't.tif',
      targetBox: { width: 800, height: 600 },
    });
    expect(near(pixel(complete.bitmap, 8, 8), RED)).to.equal(true);
    const cut = tiff.subarray(0, Math.floor(tiff.length * 0.7));
    let caught: unknown;
    try {
      await decodeImage({
        bytes: cut,
        format: 'tiff',
        name: 't.tif',
        targetBox: { width: 800, height: 600 },
      });
    } catch (error) {
      caught = error;
    }
    expect((caught as { code?: string } | undefined)?.code).to.equal('CORRUPT_IMAGE');
  });
});

describe('codecs under concurrency', () => {
  it('keeps each image its own verdict when a truncated and a good JPEG decode at once', async () => {
    const { decodeJpegWasm } = await import('../../lib/codecs/index.js');
    const good = await jpegOf(photoLike(300, 200));
    const cut = good.subarray(0, Math.floor(good.length * 0.6));
    for (let round = 0; round < 5; round++) {
      const [a, b] = await Promise.all([decodeJpegWasm(good), decodeJpegWasm(cut)]);
      expect(a.warnings, 'good').to.deep.equal([]);
      expect(b.warnings.join(' '), 'cut').to.match(/premature end/i);
    }
  });
});
