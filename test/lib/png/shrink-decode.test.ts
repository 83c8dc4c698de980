import { expect } from 'chai';
import { deflateSync } from 'node:zlib';
import { decodePngWasm } from '../../../lib/codecs/index.js';
import { decodeImage, type DecodedBitmap } from '../../../lib/decode.js';
import { loadCodecs, processImage } from '../../../lib/index.js';
import { resizeBitmap } from '../../../lib/resize.js';
import type { Bitmap } from '../../../lib/types.js';
import { failure } from '../../helpers/image-error.js';
import { PNG_SIGNATURE, pngChunk } from '../images.js';
import { unfilterLine } from '../../../lib/png/rows.js';
import { filterLine, rawPng, type RawPngSpec } from './raw-png.js';

/** 37x23 with a 6x3 target: box factor 3, a partial last block each way. */
const WIDTH = 37;
const HEIGHT = 23;
const SMALL_BOX = { width: 6, height: 3 };

/**
 * Noise in `levels` (the bit depth's range), which gives every filter's predictor ties and
 * wraps; the alpha channel (an even channel count's last) is 0 or full here and there.
 */
function pattern(levels: number, channels: number): RawPngSpec['sample'] {
  return (x, y, c) => {
    const hash = Math.imul(x * 73 + y * 151 + c * 31 + 7, 0x9e3779b1) >>> 0;
    if (c === channels - 1 && channels % 2 === 0) return hash % 5 === 0 ? 0 : levels;
    return (hash >>> 8) % (levels + 1);
  };
}

async function decode(bytes: Uint8Array, targetBox = SMALL_BOX, shrinkOnLoad = true) {
  return decodeImage({ bytes, format: 'png', name: 't.png', targetBox, shrinkOnLoad });
}

/** Box shrink of a full-size RGBA bitmap, colour weighted by alpha, in doubles: the yardstick. */
function referenceBoxShrink(source: Bitmap, factor: number): Bitmap {
  const width = Math.ceil(source.width / factor);
  const height = Math.ceil(source.height / factor);
  const data = new Uint8Array(width * height * 4);
  for (let dy = 0; dy < height; dy++) {
    for (let dx = 0; dx < width; dx++) {
      const sums = [0, 0, 0, 0];
      let n = 0;
      for (let y = dy * factor; y < Math.min(source.height, (dy + 1) * factor); y++) {
        for (let x = dx * factor; x < Math.min(source.width, (dx + 1) * factor); x++) {
          const s = (y * source.width + x) * 4;
          const a = source.data[s + 3]!;
          for (let c = 0; c < 3; c++) sums[c]! += source.data[s + c]! * a;
          sums[3]! += a;
          n++;
        }
      }
      const o = (dy * width + dx) * 4;
      for (let c = 0; c < 3; c++) data[o + c] = Math.round(sums[c]! / (sums[3] || 1));
      data[o + 3] = Math.round(sums[3]! / n);
    }
  }
  return { width, height, data };
}

/** Largest difference of any sample; colour where the pixel is fully transparent is free. */
function maxDifference(a: Bitmap, b: Bitmap): number {
  expect([a.width, a.height]).to.deep.equal([b.width, b.height]);
  let max = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    const from = a.data[i + 3] === 0 && b.data[i + 3] === 0 ? 3 : 0;
    for (let c = from; c < 4; c++) max = Math.max(max, Math.abs(a.data[i + c]! - b.data[i + c]!));
  }
  return max;
}

const LAYOUTS: { label: string; spec: Omit<RawPngSpec, 'width' | 'height' | 'sample'> }[] = [
  ...([1, 2, 4, 8, 16] as const).map((bitDepth) => ({
    label: `grey, ${bitDepth}-bit`,
    spec: { colorType: 0 as const, bitDepth },
  })),
  { label: 'grey, 8-bit, tRNS', spec: { colorType: 0, bitDepth: 8, transparency: [0, 0] } },
  { label: 'grey, 16-bit, tRNS', spec: { colorType: 0, bitDepth: 16, transparency: [255, 255] } },
  { label: 'grey, 2-bit, tRNS', spec: { colorType: 0, bitDepth: 2, transparency: [0, 3] } },
  { label: 'RGB, 8-bit', spec: { colorType: 2, bitDepth: 8 } },
  { label: 'RGB, 16-bit', spec: { colorType: 2, bitDepth: 16 } },
  {
    label: 'RGB, 8-bit, tRNS',
    spec: { colorType: 2, bitDepth: 8, transparency: [0, 0, 0, 0, 0, 0] },
  },
  ...([1, 2, 4, 8] as const).map((bitDepth) => ({
    label: `palette, ${bitDepth}-bit, tRNS`,
    spec: {
      colorType: 3 as const,
      bitDepth,
      palette: Array.from(
        { length: 1 << bitDepth },
        (_, i) => [i * 3, 255 - i, (i * 51) % 256] as const,
      ),
      transparency: [0, 128],
    },
  })),
  { label: 'grey + alpha, 8-bit', spec: { colorType: 4, bitDepth: 8 } },
  { label: 'grey + alpha, 16-bit', spec: { colorType: 4, bitDepth: 16 } },
  { label: 'RGBA, 8-bit', spec: { colorType: 6, bitDepth: 8 } },
  { label: 'RGBA, 16-bit', spec: { colorType: 6, bitDepth: 16 } },
];

const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;

describe('PNG shrink on load (decoded while shrinking)', () => {
  before(async () => {
    await loadCodecs();
  });

  for (const { label, spec } of LAYOUTS) {
    it(`gives the box pre-shrink of the full decode: ${label}, every filter type`, async () => {
      const levels = spec.colorType === 3 ? (1 << spec.bitDepth) - 1 : 2 ** spec.bitDepth - 1;
      const channels = spec.colorType === 3 ? 1 : CHANNELS[spec.colorType];
      const bytes = rawPng({
        ...spec,
        width: WIDTH,
        height: HEIGHT,
        sample: pattern(levels, channels),
        idatSize: 50,
      });
      const shrunk = (await decode(bytes)) as DecodedBitmap;
      const full = await decodePngWasm(bytes);
      expect([shrunk.width, shrunk.height]).to.deep.equal([WIDTH, HEIGHT]);
      expect([shrunk.bitmap.width, shrunk.bitmap.height]).to.deep.equal([13, 8]);
      expect(shrunk.extent).to.deep.equal({ width: WIDTH / 3, height: HEIGHT / 3 });
      expect(maxDifference(shrunk.bitmap, referenceBoxShrink(full, 3))).to.be.at.most(1);
    });
  }

  it('resizes a shrunk decode as it resizes the full decode (the partial blocks mapped)', async () => {
    // Over 256 KB inflated, so some scanlines arrive split between two pieces of inflate output.
    const bytes = rawPng({
      width: 401,
      height: 203,
      colorType: 6,
      bitDepth: 8,
      sample: (x, y, c) => (c === 3 ? (x < 200 ? 255 : 90) : (x * 5 + y * 3 + c * 80) % 256),
    });
    const target = { width: 40, height: 27 };
    const shrunk = (await decode(bytes, target)) as DecodedBitmap;
    const full = (await decode(bytes, target, false)) as DecodedBitmap;
    expect(shrunk.bitmap.width).to.be.below(401);
    expect(full.bitmap.width).to.equal(401);
    const fromShrunk = resizeBitmap(shrunk.bitmap, target, true, shrunk.extent);
    const fromFull = resizeBitmap(full.bitmap, target, true);
    expect(maxDifference(fromShrunk, fromFull)).to.be.at.most(1);
  });

  it('makes the same rendition with shrink-on-load on and off (its extent reaches the resize)', async () => {
    // 401 = 4 x 100.25: the last block is a quarter; mapped as a whole pixel, the 4-pixel
    // checkerboard lands up to 3 levels off.
    const bytes = rawPng({
      width: 401,
      height: 209,
      colorType: 2,
      bitDepth: 8,
      sample: (x, y) => (((x >> 2) + (y >> 2)) & 1 ? 250 : 10),
    });
    const renditions = [
      {
        container: 'output',
        width: 47,
        height: 40,
        fit: 'inside' as const,
        format: 'png' as const,
        quality: 80,
      },
    ];
    const pixels = async (shrinkOnLoad: boolean) => {
      const result = await processImage(bytes, { name: 'c.png', renditions, shrinkOnLoad });
      return decodePngWasm(result.renditions[0]!.bytes);
    };
    expect(maxDifference(await pixels(true), await pixels(false))).to.be.at.most(1);
  });

  it('keeps transparent pixels from bleeding colour into their opaque neighbours', async () => {
    // Left half opaque red, right half fully transparent green: block 2x2 across the border.
    const bytes = rawPng({
      width: 9,
      height: 8,
      colorType: 6,
      bitDepth: 8,
      sample: (x, _y, c) => (x < 5 ? [255, 0, 0, 255][c]! : [0, 255, 0, 0][c]!),
    });
    const shrunk = (await decode(bytes, { width: 2, height: 2 })) as DecodedBitmap;
    expect(shrunk.bitmap.width).to.equal(5);
    const border = Array.from(shrunk.bitmap.data.subarray(2 * 4, 3 * 4));
    expect(border).to.deep.equal([255, 0, 0, 128]);
  });

  it('reports alpha only when some pixel is actually transparent', async () => {
    const rgba = (alpha: (x: number, y: number) => number) =>
      rawPng({
        width: 20,
        height: 20,
        colorType: 6,
        bitDepth: 8,
        sample: (x, y, c) => (c === 3 ? alpha(x, y) : 100),
      });
    const opaque = await decode(rgba(() => 255));
    const oneBelow = await decode(rgba((x, y) => (x === 19 && y === 19 ? 254 : 255)));
    expect(opaque.info.hasAlpha).to.equal(false);
    expect(oneBelow.info.hasAlpha).to.equal(true);
    // A palette whose transparent entry no pixel uses is opaque.
    const palette = (index: number) =>
      rawPng({
        width: 20,
        height: 20,
        colorType: 3,
        bitDepth: 8,
        palette: [
          [0, 0, 0],
          [9, 9, 9],
        ],
        transparency: [0],
        sample: () => index,
      });
    expect((await decode(palette(1))).info.hasAlpha).to.equal(false);
    expect((await decode(palette(0))).info.hasAlpha).to.equal(true);
    expect((await decode(palette(1))).info).to.include({ colorSpace: 'palette', bitDepth: 8 });
  });

  it('decodes interlaced and animated PNGs, and any PNG when shrink-on-load is off, at full size', async () => {
    const sample = pattern(255, 4);
    const base = { width: WIDTH, height: HEIGHT, colorType: 6 as const, bitDepth: 8 as const };
    const actl = pngChunk('acTL', Uint8Array.from([0, 0, 0, 2, 0, 0, 0, 0]));
    const cases = [
      rawPng({ ...base, sample, interlaced: true }),
      rawPng({ ...base, sample, extra: [actl] }),
    ];
    for (const bytes of cases) {
      const decoded = (await decode(bytes)) as DecodedBitmap;
      expect([decoded.bitmap.width, decoded.bitmap.height]).to.deep.equal([WIDTH, HEIGHT]);
      expect(decoded.extent).to.equal(undefined);
      expect(maxDifference(decoded.bitmap, await decodePngWasm(cases[0]!))).to.equal(0);
    }
    const off = (await decode(rawPng({ ...base, sample }), SMALL_BOX, false)) as DecodedBitmap;
    expect(off.bitmap.width).to.equal(WIDTH);
  });

  it('refuses image data that ends before the last row with CORRUPT_IMAGE', async () => {
    const rows = new Uint8Array(HEIGHT * (WIDTH * 3 + 1));
    const zlib = deflateSync(rows);
    const ihdr = Uint8Array.from([0, 0, 0, WIDTH, 0, 0, 0, HEIGHT, 8, 2, 0, 0, 0]);
    const truncated = (idat: Uint8Array) =>
      Uint8Array.from([
        ...PNG_SIGNATURE,
        ...pngChunk('IHDR', ihdr),
        ...pngChunk('IDAT', idat),
        ...pngChunk('IEND', new Uint8Array(0)),
      ]);
    // The zlib stream cut short, and a whole stream of too few rows.
    const cut = await failure(decode(truncated(zlib.subarray(0, zlib.length - 6))));
    expect(cut.code).to.equal('CORRUPT_IMAGE');
    const short = await failure(decode(truncated(deflateSync(rows.subarray(0, 500)))));
    expect(short.code).to.equal('CORRUPT_IMAGE');
    expect(short.message).to.match(/ends after 4 of its 23 rows/);
  });

  it('undoes each of the five filters exactly, whatever the bytes per pixel', () => {
    let seed = 12345;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
    for (const bpp of [1, 2, 3, 4, 6, 8]) {
      for (let filter = 0; filter <= 4; filter++) {
        let prev: Uint8Array = new Uint8Array(97);
        for (let y = 0; y < 40; y++) {
          const row = Uint8Array.from({ length: 96 }, random);
          const line = filterLine(filter, row, prev.subarray(1), bpp);
          expect(unfilterLine(line, prev, bpp)).to.equal(true);
          expect(Array.from(line.subarray(1))).to.deep.equal(Array.from(row));
          prev = line;
        }
      }
    }
  });

  it('refuses a scanline with a filter type PNG does not define with CORRUPT_IMAGE', async () => {
    const bytes = rawPng({
      width: WIDTH,
      height: HEIGHT,
      colorType: 2,
      bitDepth: 8,
      sample: () => 7,
      filterOf: (y) => (y === 5 ? 9 : 0),
    });
    const error = await failure(decode(bytes));
    expect(error.code).to.equal('CORRUPT_IMAGE');
    expect(error.message).to.match(/scanline 5 has filter type 9/);
  });
});
