import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { decodeBmpWithAlpha } from '../../lib/bmp.js';
import { decodeImage } from '../../lib/decode.js';
import { CorruptImageError, loadCodecs, processImage } from '../../lib/index.js';
import { getFixture } from '../fixtures.js';
import { bmp32, type Bmp32Options } from '../helpers/bmp.js';
import {
  BLUE,
  GREEN,
  RED,
  WHITE,
  bitmap,
  decodeOutput,
  near,
  pixel,
  renditionIn,
} from './images.js';
import { failure } from '../helpers/image-error.js';

const CLEAR = [0, 0, 0, 0] as const;

/** Red, green, blue quadrants and a fully transparent bottom-right one. */
function quadrantsWithHole(width: number, height: number) {
  return bitmap(width, height, (x, y) => {
    const right = x >= width / 2;
    if (y < height / 2) return right ? GREEN : RED;
    return right ? [...CLEAR] : BLUE;
  });
}

async function decodeBmpBytes(bytes: Uint8Array) {
  return decodeImage({
    bytes,
    format: 'bmp',
    name: 'a.bmp',
    targetBox: { width: 800, height: 600 },
  });
}

describe('32-bit BMPs with alpha (lib/bmp)', () => {
  before(async () => {
    await loadCodecs();
  });

  it('keeps a half-transparent 32-bit BMP transparent end to end: a PNG with its alpha and colour', async () => {
    const source = bitmap(40, 20, (x) => (x < 20 ? [255, 0, 0, 128] : GREEN));
    const bytes = bmp32({ width: 40, height: 20, rgba: source.data });
    const result = await processImage(bytes, { name: 'half.bmp' });
    expect(renditionIn(result, 'output').format).to.equal('png');
    expect(result.metadata.image.hasAlpha).to.equal(true);
    const output = await decodeOutput(
      renditionIn(result, 'output').bytes,
      renditionIn(result, 'output').format,
    );
    expect([output.width, output.height]).to.deep.equal([40, 20]);
    const half = pixel(output, 5, 10);
    expect(half[3]).to.be.within(126, 130);
    expect(near(half, [255, 0, 0, half[3]], 4)).to.equal(true);
    expect(near(pixel(output, 35, 10), GREEN, 4)).to.equal(true);
  });

  const variants: { label: string; options: Partial<Bmp32Options> }[] = [
    { label: 'BMP5 (V5 header)', options: { headerSize: 124 } },
    { label: 'BMP4 (V4 header)', options: { headerSize: 108 } },
    { label: 'V3 header', options: { headerSize: 56 } },
    { label: 'V2 header with BI_ALPHABITFIELDS', options: { headerSize: 52, compression: 6 } },
    { label: '40-byte header with BI_ALPHABITFIELDS', options: { headerSize: 40, compression: 6 } },
  ];
  for (const { label, options } of variants) {
    for (const topDown of [false, true]) {
      it(`decodes a ${label} BMP stored ${topDown ? 'top-down' : 'bottom-up'} upright, with its transparent quadrant`, async () => {
        const image = quadrantsWithHole(16, 12);
        const decoded = await decodeBmpBytes(
          bmp32({ width: 16, height: 12, rgba: image.data, topDown, ...options }),
        );
        expect([decoded.width, decoded.height]).to.deep.equal([16, 12]);
        expect(decoded.info).to.include({ hasAlpha: true, bitDepth: 8, colorSpace: 'srgb' });
        expect(pixel(decoded.bitmap, 2, 2)).to.deep.equal(RED);
        expect(pixel(decoded.bitmap, 13, 2)).to.deep.equal(GREEN);
        expect(pixel(decoded.bitmap, 2, 9)).to.deep.equal(BLUE);
        expect(pixel(decoded.bitmap, 13, 9)[3]).to.equal(0);
      });
    }
  }

  it('treats a declared alpha mask left at zero in every pixel as opaque: a JPEG output', async () => {
    const image = quadrantsWithHole(40, 20);
    const bytes = bmp32({ width: 40, height: 20, rgba: image.data, zeroAlpha: true });
    const decoded = await decodeBmpBytes(bytes);
    expect(decoded.info.hasAlpha).to.equal(false);
    expect(pixel(decoded.bitmap, 2, 2)).to.deep.equal(RED);
    expect(pixel(decoded.bitmap, 35, 15)).to.deep.equal([0, 0, 0, 255]);
    const result = await processImage(bytes, { name: 'unused-alpha.bmp' });
    expect(renditionIn(result, 'output').format).to.equal('jpeg');
    expect(result.metadata.image.hasAlpha).to.equal(false);
  });

  it('reports no alpha for a 32-bit BMP with an alpha mask whose pixels are all opaque', async () => {
    const image = bitmap(8, 8, (x) => (x < 4 ? RED : WHITE));
    const decoded = await decodeBmpBytes(bmp32({ width: 8, height: 8, rgba: image.data }));
    expect(decoded.info.hasAlpha).to.equal(false);
    expect(pixel(decoded.bitmap, 6, 6)).to.deep.equal(WHITE);
  });

  it('leaves 32-bit BMPs without an alpha mask, and 24-bit ones, to jimp as before', async () => {
    const image = bitmap(8, 8, (x) => (x < 4 ? RED : GREEN));
    const noMask = bmp32({ width: 8, height: 8, rgba: image.data, headerSize: 40, alphaMask: 0 });
    expect(decodeBmpWithAlpha(noMask, 'n.bmp')).to.equal(undefined);
    const viaJimp = await decodeBmpBytes(noMask);
    expect(viaJimp.info.hasAlpha).to.equal(false);
    expect(near(pixel(viaJimp.bitmap, 1, 1), RED)).to.equal(true);

    const bmp24 = new Uint8Array(readFileSync(getFixture('other/bmp.bmp').path));
    expect(decodeBmpWithAlpha(bmp24, 'bmp.bmp')).to.equal(undefined);
    const decoded = await decodeBmpBytes(bmp24);
    expect(decoded.info.hasAlpha).to.equal(false);
    expect(near(pixel(decoded.bitmap, 10, 10), RED)).to.equal(true);
    expect(near(pixel(decoded.bitmap, 150, 110), WHITE)).to.equal(true);
  });

  it('keeps the transparent quadrant of the ImageMagick-written fixture', async () => {
    const bytes = new Uint8Array(readFileSync(getFixture('other/bmp-alpha.bmp').path));
    const decoded = await decodeBmpBytes(bytes);
    expect(decoded.info.hasAlpha).to.equal(true);
    expect(pixel(decoded.bitmap, 10, 10)).to.deep.equal(RED);
    expect(pixel(decoded.bitmap, 150, 10)).to.deep.equal(GREEN);
    expect(pixel(decoded.bitmap, 10, 110)).to.deep.equal(BLUE);
    expect(pixel(decoded.bitmap, 150, 110)[3]).to.equal(0);
  });

  it('fails with CORRUPT_IMAGE when the pixel rows are cut short', async () => {
    const image = quadrantsWithHole(40, 20);
    const bytes = bmp32({ width: 40, height: 20, rgba: image.data });
    const error = await failure(
      processImage(bytes.subarray(0, bytes.length - 1), { name: 'cut.bmp' }),
    );
    expect(error.code).to.equal('CORRUPT_IMAGE');
  });

  it('refuses nonsense headers with CorruptImageError before allocating anything', () => {
    const image = quadrantsWithHole(4, 4);
    const good = bmp32({ width: 4, height: 4, rgba: image.data });
    const edit = (change: (view: DataView) => void) => {
      const copy = Uint8Array.from(good);
      change(new DataView(copy.buffer));
      return copy;
    };
    const cases: [string, Uint8Array][] = [
      ['a huge declared size', edit((v) => v.setInt32(18, 30000, true))],
      ['a pixel offset past the end', edit((v) => v.setUint32(10, 0xfffffff0, true))],
      ['a pixel offset inside the headers', edit((v) => v.setUint32(10, 20, true))],
      ['a non-contiguous red mask', edit((v) => v.setUint32(54, 0x00f0f000, true))],
      ['an empty green mask', edit((v) => v.setUint32(58, 0, true))],
      ['a zero width', edit((v) => v.setInt32(18, 0, true))],
      ['a header cut short', good.subarray(0, 100)],
    ];
    for (const [label, bytes] of cases) {
      expect(() => decodeBmpWithAlpha(bytes, 'x.bmp'), label).to.throw(CorruptImageError);
    }
  });

  it('scales masks narrower than 8 bits to the full 0-255 range', () => {
    // One pixel, alpha in the top 4 bits only, set to 0b1000 (8/15 of opaque).
    const bytes = bmp32({
      width: 1,
      height: 1,
      rgba: Uint8Array.of(255, 0, 0, 0),
      alphaMask: 0xf0000000,
    });
    bytes[bytes.length - 1] = 0x80;
    const decoded = decodeBmpWithAlpha(bytes, 'narrow.bmp');
    expect(decoded?.hasAlpha).to.equal(true);
    expect([...(decoded?.data ?? [])]).to.deep.equal([255, 0, 0, 136]);
  });
});
