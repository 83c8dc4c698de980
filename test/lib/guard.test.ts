import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { ImageError, readDeclaredDimensions, sniffFormat } from '../../lib/index.js';
import { guardInput } from '../../lib/guard.js';
import { deflateSync } from 'node:zlib';
import { FIXTURES } from '../fixtures.js';
import { jpegOf, photoLike, PNG_SIGNATURE, pngChunk, tiffExif } from './images.js';

const bytes = (...parts: (number[] | string | Uint8Array)[]): Uint8Array =>
  Uint8Array.from(
    parts.flatMap((part) =>
      typeof part === 'string' ? Array.from(part, (c) => c.charCodeAt(0)) : Array.from(part),
    ),
  );
const le16 = (v: number) => [v & 255, (v >> 8) & 255];
const le32 = (v: number) => [v & 255, (v >> 8) & 255, (v >> 16) & 255, (v >>> 24) & 255];
const be32 = (v: number) => [(v >>> 24) & 255, (v >> 16) & 255, (v >> 8) & 255, v & 255];

function png(width: number, height: number): Uint8Array {
  return bytes(
    PNG_SIGNATURE,
    pngChunk('IHDR', Uint8Array.from([...be32(width), ...be32(height), 8, 6, 0, 0, 0])),
  );
}
const gif = (w: number, h: number) => bytes('GIF89a', le16(w), le16(h), [0, 0, 0]);
const bmp = (w: number, h: number) =>
  bytes('BM', le32(0), le32(0), le32(54), le32(40), le32(w), le32(h), le16(1), le16(24));
const riff = (chunk: Uint8Array) => bytes('RIFF', le32(chunk.length + 4), 'WEBP', chunk);
const box = (type: string, ...content: (number[] | Uint8Array)[]) => {
  const body = bytes(...content);
  return bytes(be32(body.length + 8), type, body);
};
function avif(width: number, height: number): Uint8Array {
  const ispe = box('ispe', [0, 0, 0, 0], be32(width), be32(height));
  return bytes(
    box('ftyp', bytes('avif', be32(0), 'mif1avif')),
    box('meta', [0, 0, 0, 0], box('iprp', box('ipco', ispe))),
  );
}

describe('sniffFormat', () => {
  it('detects every supported format from its magic bytes', () => {
    expect(sniffFormat(bytes([0xff, 0xd8, 0xff, 0xe0]))).to.equal('jpeg');
    expect(sniffFormat(png(1, 1))).to.equal('png');
    expect(sniffFormat(gif(1, 1))).to.equal('gif');
    expect(sniffFormat(bmp(1, 1))).to.equal('bmp');
    expect(sniffFormat(bytes('II', [42, 0], le32(8)))).to.equal('tiff');
    expect(sniffFormat(bytes('MM', [0, 42], be32(8)))).to.equal('tiff');
    expect(sniffFormat(riff(bytes('VP8L')))).to.equal('webp');
    expect(sniffFormat(avif(1, 1))).to.equal('avif');
    expect(sniffFormat(bytes(box('ftyp', bytes('heic', be32(0), 'mif1heic'))))).to.equal('heif');
  });

  it('tells HEIF from AVIF by the brands: HEIC and generic HEIF are heif, AVIF listing mif1 stays avif', () => {
    const ftyp = (major: string, ...compatible: string[]) =>
      bytes(box('ftyp', bytes(major, be32(0), compatible.join(''))));
    for (const major of ['heic', 'heix', 'heim', 'heis', 'mif1', 'msf1']) {
      expect(sniffFormat(ftyp(major)), major).to.equal('heif');
    }
    expect(sniffFormat(ftyp('MiHE', 'mif1', 'MiPr'))).to.equal('heif');
    expect(sniffFormat(ftyp('mif1', 'avif', 'miaf'))).to.equal('avif');
    expect(sniffFormat(ftyp('isom', 'mp41'))).to.equal(undefined); // an MP4 video
  });

  it('does not trust names or lookalikes: text, a lone "BM" and short inputs are unknown', () => {
    expect(sniffFormat(bytes('hello world'))).to.equal(undefined);
    expect(sniffFormat(bytes('BMW is a car, not a bitmap'))).to.equal(undefined);
    expect(sniffFormat(bytes([0xff, 0xd8]))).to.equal(undefined);
    expect(sniffFormat(new Uint8Array(0))).to.equal(undefined);
  });
});

describe('readDeclaredDimensions', () => {
  it('reads the JPEG frame header past APP segments', async () => {
    const jpeg = await jpegOf(photoLike(37, 21));
    expect(readDeclaredDimensions(jpeg, 'jpeg')).to.deep.equal({ width: 37, height: 21 });
  });

  it('skips junk bytes before a marker like libjpeg does', async () => {
    const jpeg = await jpegOf(photoLike(20, 10));
    const junk = bytes(jpeg.subarray(0, 2), [1, 2, 3, 4], jpeg.subarray(2));
    expect(readDeclaredDimensions(junk, 'jpeg')).to.deep.equal({ width: 20, height: 10 });
  });

  it('reads PNG, GIF, BMP (top-down too), TIFF, WebP (VP8, VP8L, VP8X) and AVIF headers', () => {
    expect(readDeclaredDimensions(png(30000, 20000), 'png')).to.deep.equal({
      width: 30000,
      height: 20000,
    });
    expect(readDeclaredDimensions(gif(640, 480), 'gif')).to.deep.equal({ width: 640, height: 480 });
    expect(readDeclaredDimensions(bmp(300, -200), 'bmp')).to.deep.equal({
      width: 300,
      height: 200,
    });
    const tiff = tiffExif({
      ifd0: [
        { tag: 256, long: [5000] },
        { tag: 257, short: [4000] },
      ],
    });
    expect(readDeclaredDimensions(tiff, 'tiff')).to.deep.equal({ width: 5000, height: 4000 });
    const vp8 = riff(bytes('VP8 ', le32(10), [0, 0, 0, 0x9d, 0x01, 0x2a], le16(1024), le16(768)));
    expect(readDeclaredDimensions(vp8, 'webp')).to.deep.equal({ width: 1024, height: 768 });
    const bits = (4000 - 1) | ((3000 - 1) << 14);
    const vp8l = riff(bytes('VP8L', le32(5), [0x2f], le32(bits)));
    expect(readDeclaredDimensions(vp8l, 'webp')).to.deep.equal({ width: 4000, height: 3000 });
    const vp8x = riff(bytes('VP8X', le32(10), le32(0), [0x3f, 0x9c, 0x00], [0x1f, 0x4e, 0x00]));
    expect(readDeclaredDimensions(vp8x, 'webp')).to.deep.equal({ width: 40000, height: 20000 });
    expect(readDeclaredDimensions(avif(12000, 9000), 'avif')).to.deep.equal({
      width: 12000,
      height: 9000,
    });
  });

  it('reports a header cut short or declaring zero pixels as CORRUPT_IMAGE', () => {
    for (const [input, format] of [
      [bytes([0xff, 0xd8, 0xff, 0xe0, 0x00]), 'jpeg'],
      [png(0, 10), 'png'],
      [bytes(PNG_SIGNATURE, be32(13), 'IHDR'), 'png'],
      [bytes('RIFF', le32(4), 'WEBP'), 'webp'],
      [bytes(box('ftyp', bytes('avif', be32(0)))), 'avif'],
    ] as const) {
      let caught: unknown;
      try {
        readDeclaredDimensions(input, format);
      } catch (error) {
        caught = error;
      }
      expect(caught, format).to.be.instanceOf(ImageError);
      expect((caught as ImageError).code, format).to.equal('CORRUPT_IMAGE');
    }
  });
});

describe('guardInput', () => {
  const limits = { name: 'x', maxBytes: 1000, maxPixels: 1_000_000 };

  it('refuses by bytes first, then by declared pixels', () => {
    expect(() => guardInput(new Uint8Array(1001), 'png', limits))
      .to.throw(ImageError)
      .with.property('code', 'TOO_LARGE');
    expect(() => guardInput(png(1001, 1000), 'png', limits))
      .to.throw(ImageError)
      .with.property('code', 'TOO_MANY_PIXELS');
    // Past the pixel limit the header-only PNG is refused for its missing image data instead.
    expect(() => guardInput(png(1000, 1000), 'png', limits))
      .to.throw(ImageError)
      .with.property('code', 'CORRUPT_IMAGE');
  });

  it('refuses 12-bit JPEG samples with UNSUPPORTED_FORMAT rather than decoding them wrongly', () => {
    const sof = bytes([0xff, 0xd8, 0xff, 0xc1, 0, 11, 12, 0, 8, 0, 8, 1, 1, 0x11, 0]);
    expect(() => guardInput(sof, 'jpeg', limits))
      .to.throw(ImageError)
      .with.property('code', 'UNSUPPORTED_FORMAT');
  });
});

describe('guardInput on GIF frames', () => {
  /** A GIF whose screen is `screen` and whose first frame declares `frame` (LZW data: one code). */
  function gifWithFrame(screen: [number, number], frame: [number, number]): Uint8Array {
    return bytes(
      'GIF89a',
      le16(screen[0]),
      le16(screen[1]),
      [0x80, 0, 0], // global colour table of 2 entries
      [0, 0, 0, 255, 255, 255],
      [0x2c],
      le16(0),
      le16(0),
      le16(frame[0]),
      le16(frame[1]),
      [0],
      [2, 2, 0x44, 0x01, 0],
      [0x3b],
    );
  }

  it('refuses a first frame declaring more pixels than maxPixels behind a tiny screen', () => {
    const bomb = gifWithFrame([1, 1], [60000, 60000]);
    expect(() => guardInput(bomb, 'gif', { name: 'g', maxBytes: 1e6, maxPixels: 1e8 }))
      .to.throw(ImageError)
      .with.property('code', 'TOO_MANY_PIXELS');
  });

  it('refuses a first frame larger than the screen as CORRUPT_IMAGE instead of blitting it wrongly', () => {
    const oversized = gifWithFrame([10, 10], [20, 5]);
    expect(() => guardInput(oversized, 'gif', { name: 'g', maxBytes: 1e6, maxPixels: 1e8 }))
      .to.throw(ImageError)
      .with.property('code', 'CORRUPT_IMAGE');
    expect(
      guardInput(gifWithFrame([10, 10], [10, 10]), 'gif', {
        name: 'g',
        maxBytes: 1e6,
        maxPixels: 1e8,
      }),
    ).to.deep.equal({
      width: 10,
      height: 10,
    });
  });
});

describe('guardInput on data too small for the declared picture', () => {
  const limits = { name: 'lie.jpg', maxBytes: 1e8, maxPixels: 1e8 };

  /** The same JPEG with its frame header (SOF) rewritten to declare `width`x`height`. */
  function declaring(jpeg: Uint8Array, width: number, height: number): Uint8Array {
    const copy = Uint8Array.from(jpeg);
    for (let i = 2; i + 9 < copy.length; i++) {
      if (copy[i] === 0xff && copy[i + 1]! >= 0xc0 && copy[i + 1]! <= 0xc2) {
        copy.set([height >> 8, height & 255, width >> 8, width & 255], i + 5);
        return copy;
      }
    }
    throw new Error('no SOF');
  }

  it('refuses a Huffman JPEG whose header was rewritten to a size its bytes cannot hold', async () => {
    const jpeg = await jpegOf(photoLike(64, 64));
    expect(guardInput(jpeg, 'jpeg', limits)).to.deep.equal({ width: 64, height: 64 });
    const lie = declaring(jpeg, 8000, 6000);
    let caught: unknown;
    try {
      guardInput(lie, 'jpeg', limits);
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(ImageError);
    expect((caught as ImageError).code).to.equal('CORRUPT_IMAGE');
    expect((caught as ImageError).message).to.contain('lie.jpg');
    expect((caught as ImageError).message).to.contain('8000x6000');
    expect((caught as ImageError).message).to.contain(`${lie.length} bytes`);
  });

  it('checks progressive and CMYK JPEGs too, and leaves arithmetic-coded ones to their decoder', () => {
    const progressive = FIXTURES.find((f) => f.name === 'jpeg/progressive.jpg')!;
    const cmyk = FIXTURES.find((f) => f.name === 'jpeg/cmyk-adobe.jpg')!;
    const arithmetic = FIXTURES.find((f) => f.name === 'jpeg/arithmetic.jpg')!;
    const read = (path: string) => new Uint8Array(readFileSync(path));
    expect(() => guardInput(declaring(read(progressive.path), 8000, 6000), 'jpeg', limits))
      .to.throw(ImageError)
      .with.property('code', 'CORRUPT_IMAGE');
    expect(() => guardInput(declaring(read(cmyk.path), 8000, 6000), 'jpeg', limits))
      .to.throw(ImageError)
      .with.property('code', 'CORRUPT_IMAGE');
    const lie = Uint8Array.from(read(arithmetic.path));
    for (let i = 2; i + 9 < lie.length; i++) {
      if (lie[i] === 0xff && lie[i + 1] === 0xc9) {
        lie.set([6000 >> 8, 6000 & 255, 8000 >> 8, 8000 & 255], i + 5);
        break;
      }
    }
    expect(guardInput(lie, 'jpeg', limits)).to.deep.equal({ width: 8000, height: 6000 });
  });

  it("refuses a PNG whose image data is below deflate's best ratio for its declared rows", () => {
    const rows = 1 + 1000 * 4;
    const idat = deflateSync(new Uint8Array(rows * 1000), { level: 9 });
    const ihdr = (height: number) =>
      pngChunk('IHDR', Uint8Array.from([...be32(1000), ...be32(height), 8, 6, 0, 0, 0]));
    const file = (height: number) =>
      bytes(
        PNG_SIGNATURE,
        ihdr(height),
        pngChunk('IDAT', idat),
        pngChunk('IEND', new Uint8Array()),
      );
    // The real 1000x1000 image of zeros passes: zlib's level 9 stays above the bound.
    expect(guardInput(file(1000), 'png', limits)).to.deep.equal({ width: 1000, height: 1000 });
    expect(() => guardInput(file(20000), 'png', limits))
      .to.throw(ImageError)
      .with.property('code', 'CORRUPT_IMAGE');
  });

  it('passes every valid fixture', () => {
    for (const fixture of FIXTURES) {
      if (fixture.errorCode || !fixture.format) continue;
      const input = new Uint8Array(readFileSync(fixture.path));
      expect(
        guardInput(input, fixture.format, { ...limits, name: fixture.name }),
        fixture.name,
      ).to.deep.equal({ width: fixture.width, height: fixture.height });
    }
  });
});
