/**
 * The scaled baseline JPEG decoder against the reference decoder (mozjpeg in WASM, the codec
 * the pipeline otherwise uses): the same picture at full size, the same picture box-averaged
 * at 4/8, 2/8 and 1/8 and area-averaged at 3/8, every supported stream structure, and a typed
 * fallback for the rest.
 */
import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { decodeJpegWasm } from '../../../lib/codecs/index.js';
import { decodeScaledJpeg, type JpegScale, type ScaledJpeg } from '../../../lib/jpeg/index.js';
import { getFixture } from '../../fixtures.js';
import { caseSeed, makeCase } from '../../fuzz/mutate.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = path.join(HERE, 'fixtures');
/** Every decode scale, in eighths. */
const SCALES: readonly JpegScale[] = [8, 4, 3, 2, 1];

interface Rgba {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
}

/** PSNR over R, G and B of the first `width` x `height` pixels of two same-stride bitmaps. */
function psnr(a: Rgba, b: Rgba, width = a.width, height = a.height): number {
  let squared = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        const d = a.data[(y * a.width + x) * 4 + c]! - b.data[(y * b.width + x) * 4 + c]!;
        squared += d * d;
      }
    }
  }
  if (squared === 0) return Infinity;
  return 10 * Math.log10((255 * 255 * width * height * 3) / squared);
}

/** Box average over `scale` x `scale` cells (partial cells at the right and bottom edges). */
function boxDownsample(image: Rgba, scale: number): Rgba {
  const width = Math.ceil(image.width / scale);
  const height = Math.ceil(image.height / scale);
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 4; c++) {
        let sum = 0;
        let n = 0;
        for (let dy = 0; dy < scale && y * scale + dy < image.height; dy++) {
          for (let dx = 0; dx < scale && x * scale + dx < image.width; dx++) {
            sum += image.data[((y * scale + dy) * image.width + x * scale + dx) * 4 + c]!;
            n++;
          }
        }
        data[(y * width + x) * 4 + c] = Math.round(sum / n);
      }
    }
  }
  return { width, height, data };
}

/**
 * Area average to ceil(size * 3 / 8): each output pixel is the mean of the 8/3 x 8/3 source
 * area it covers, partial pixels weighted by their overlap (clipped at the image edge).
 */
function areaDownsample3of8(image: Rgba): Rgba {
  const width = Math.ceil((image.width * 3) / 8);
  const height = Math.ceil((image.height * 3) / 8);
  /** Per output index: the source indices it overlaps and their weights. */
  const spans = (size: number, out: number): { start: number; weights: number[] }[] =>
    Array.from({ length: out }, (_, i) => {
      const from = (i * 8) / 3;
      const to = Math.min(size, ((i + 1) * 8) / 3);
      const start = Math.floor(from);
      const weights: number[] = [];
      for (let j = start; j < to; j++) weights.push(Math.min(to, j + 1) - Math.max(from, j));
      return { start, weights };
    });
  const xs = spans(image.width, width);
  const ys = spans(image.height, height);
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    const sy = ys[y]!;
    for (let x = 0; x < width; x++) {
      const sx = xs[x]!;
      for (let c = 0; c < 4; c++) {
        let sum = 0;
        let total = 0;
        sy.weights.forEach((wy, dy) => {
          sx.weights.forEach((wx, dx) => {
            sum += wy * wx * image.data[((sy.start + dy) * image.width + sx.start + dx) * 4 + c]!;
            total += wy * wx;
          });
        });
        data[(y * width + x) * 4 + c] = Math.round(sum / total);
      }
    }
  }
  return { width, height, data };
}

/** The reference decode shrunk to `scale` eighths: box average, or area average at 3/8. */
function shrinkReference(reference: Rgba, scale: JpegScale): Rgba {
  if (scale === 8) return reference;
  return scale === 3 ? areaDownsample3of8(reference) : boxDownsample(reference, 8 / scale);
}

/** Photo-like content: smooth gradients, soft shapes and mild noise, deterministic. */
async function photoJpeg(
  width: number,
  height: number,
  options: { chroma?: '4:2:0' | '4:4:4'; grey?: boolean; quality?: number } = {},
): Promise<Uint8Array> {
  const raw = Buffer.alloc(width * height * 3);
  let seed = width * 31 + height;
  const noise = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed / 4294967296 - 0.5) * 12;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const ring = Math.sin(Math.hypot(x - width * 0.4, y - height * 0.6) / 14);
      const grain = noise(); // sensor-like noise: mostly in luma
      raw[i] = Math.max(0, Math.min(255, 128 + 90 * ring + grain));
      raw[i + 1] = Math.max(0, Math.min(255, (255 * y) / height + grain));
      raw[i + 2] = Math.max(0, Math.min(255, (255 * x) / width + 40 * ring + grain));
    }
  }
  let image = sharp(raw, { raw: { width, height, channels: 3 } });
  if (options.grey) image = image.grayscale();
  const jpeg = await image
    .jpeg({ quality: options.quality ?? 90, chromaSubsampling: options.chroma ?? '4:2:0' })
    .toBuffer();
  return new Uint8Array(jpeg);
}

function decodeOk(bytes: Uint8Array, scale: JpegScale): ScaledJpeg {
  const result = decodeScaledJpeg(bytes, { scale });
  if (!result.ok)
    expect.fail(`expected a decode at ${scale}/8, got ${result.reason}: ${result.detail}`);
  return result.image;
}

/**
 * Checks one baseline JPEG at every scale against the reference decode. At reduced scales the
 * last partial column and row are left out: DCT scaling averages the whole 8x8 block, including
 * the encoder's padding beyond the edge, where a box filter sees only the real pixels.
 */
async function expectLikeReference(bytes: Uint8Array): Promise<void> {
  const { image: reference } = await decodeJpegWasm(bytes);
  for (const scale of SCALES) {
    const ours = decodeOk(bytes, scale);
    const expected = shrinkReference(reference, scale);
    expect([ours.width, ours.height], `size at ${scale}/8`).to.deep.equal([
      expected.width,
      expected.height,
    ]);
    expect(ours.data.length).to.equal(ours.width * ours.height * 4);
    if (scale === 8) {
      expect(psnr(ours, expected), 'PSNR at 8/8').to.be.at.least(45);
      continue;
    }
    const fullWidth = Math.max(1, Math.floor((reference.width * scale) / 8));
    const fullHeight = Math.max(1, Math.floor((reference.height * scale) / 8));
    // The 3-point IDCT is a low-pass, not an area mean: where a block holds a ramp steeper than
    // photos have (an 8x8 test picture spans 0..255 in one block) it lands a few levels off.
    const oneBlock = reference.width <= 8 && reference.height <= 8;
    const minimum = scale === 3 && oneBlock ? 33 : 35;
    expect(psnr(ours, expected, fullWidth, fullHeight), `PSNR at ${scale}/8`).to.be.at.least(
      minimum,
    );
  }
}

/** The same file with bytes replaced at `offset`. */
function patched(bytes: Uint8Array, offset: number, values: number[]): Uint8Array {
  const copy = bytes.slice();
  copy.set(values, offset);
  return copy;
}

/** Offset of the first marker `code` (0xFF code) in a file's headers. */
function markerOffset(bytes: Uint8Array, code: number): number {
  for (let i = 2; i + 1 < bytes.length; i++) {
    if (bytes[i] === 0xff && bytes[i + 1] === code) return i;
  }
  throw new Error(`no marker 0x${code.toString(16)}`);
}

const fixtureFile = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(path.join(FIXTURES, name)));
const projectFixture = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(getFixture(name).path));

describe('lib/jpeg decodeScaledJpeg', () => {
  describe('agrees with the reference decoder', () => {
    const structures: Record<string, string> = {
      's422.jpg': '4:2:2 sampling',
      's440.jpg': '4:4:0 sampling',
      's411.jpg': '4:1:1 sampling',
      's311.jpg': 'luma sampled 3x1 (chroma stretched or averaged by 3)',
      's420-restart-every-mcu.jpg': 'a restart marker after every MCU',
      's444-restart-every-row.jpg': 'a restart marker after every MCU row',
      'gray-restart.jpg': 'greyscale with restart markers',
      'three-scans.jpg': 'one non-interleaved scan per component',
      'two-scans.jpg': 'luma alone, then both chroma components interleaved',
      'rgb.jpg': 'RGB samples flagged by an Adobe marker',
      'dqt16.jpg': '16-bit quantization tables in an extended (SOF1) frame',
      'optimized.jpg': 'optimised Huffman tables',
    };
    for (const [name, what] of Object.entries(structures)) {
      it(`decodes a 61x47 JPEG with ${what} at every scale`, async () => {
        await expectLikeReference(fixtureFile(name));
      });
    }

    for (const name of [
      'jpeg/gray.jpg',
      'jpeg/camera-exif-gps.jpg',
      'jpeg/icc-adobe-rgb.jpg',
      'jpeg/junk-before-marker.jpg',
      'jpeg/bad-exif-segments.jpg',
    ]) {
      it(`decodes the project fixture ${name} at every scale`, async () => {
        await expectLikeReference(projectFixture(name));
      });
    }

    for (const [width, height] of [
      [1, 1],
      [17, 13],
      [8, 8],
      [16, 16],
      [333, 251],
    ] as const) {
      for (const chroma of ['4:2:0', '4:4:4'] as const) {
        it(`decodes a ${width}x${height} ${chroma} photo at every scale, sized ceil(size * n / 8)`, async () => {
          await expectLikeReference(await photoJpeg(width, height, { chroma }));
        });
      }
    }

    it('decodes a greyscale photo of odd size at every scale', async () => {
      await expectLikeReference(await photoJpeg(45, 31, { grey: true }));
    });

    it('decodes a low-quality photo (large coefficients, long codes) at every scale', async () => {
      await expectLikeReference(await photoJpeg(120, 90, { quality: 20 }));
    });

    it('decodes a file larger than the scan window it streams through (256 KB) at every scale', async () => {
      const bytes = await photoJpeg(1400, 1000, { chroma: '4:4:4', quality: 97 });
      expect(bytes.length).to.be.greaterThan(2 * 256 * 1024);
      await expectLikeReference(bytes);
    });

    it('decodes a Buffer and a view into a larger ArrayBuffer alike', async () => {
      const bytes = await photoJpeg(40, 30);
      const padded = new Uint8Array(bytes.length + 16);
      padded.set(bytes, 7);
      const fromView = decodeOk(padded.subarray(7, 7 + bytes.length), 4);
      const fromBuffer = decodeOk(Buffer.from(bytes), 4);
      expect(psnr(fromView, fromBuffer)).to.equal(Infinity);
    });
  });

  describe('matches libjpeg-turbo DCT scaling exactly for square sampling', () => {
    /** A binary PGM (P5) or PPM (P6) as written by djpeg, expanded to RGBA. */
    function readPnm(bytes: Uint8Array): Rgba {
      const header = /^(P[56])\s+(\d+)\s+(\d+)\s+255\s/.exec(
        new TextDecoder('latin1').decode(bytes.subarray(0, 32)),
      );
      if (!header) throw new Error('not a binary PNM');
      const channels = header[1] === 'P6' ? 3 : 1;
      const width = Number(header[2]);
      const height = Number(header[3]);
      const pixels = bytes.subarray(header[0].length);
      const data = new Uint8ClampedArray(width * height * 4);
      for (let i = 0; i < width * height; i++) {
        for (let c = 0; c < 3; c++)
          data[i * 4 + c] = pixels[i * channels + (channels === 3 ? c : 0)]!;
        data[i * 4 + 3] = 255;
      }
      return { width, height, data };
    }
    // djpeg's output for each scale in eighths, named as make.sh writes it.
    const djpegScales: [JpegScale, string][] = [
      [4, '1/2'],
      [3, '3/8'],
      [2, '1/4'],
      [1, '1/8'],
    ];
    for (const name of ['s420-restart-every-mcu', 's444-restart-every-row', 'gray-restart']) {
      for (const [scale, fraction] of djpegScales) {
        it(`decodes ${name}.jpg at ${scale}/8 to the same pixels as djpeg -scale ${fraction}`, () => {
          const expected = readPnm(fixtureFile(`${name}.${fraction.replace('/', '-')}.pnm`));
          const ours = decodeOk(fixtureFile(`${name}.jpg`), scale);
          expect([ours.width, ours.height]).to.deep.equal([expected.width, expected.height]);
          expect(psnr(ours, expected)).to.equal(Infinity);
        });
      }
    }
  });

  describe('hands back what it does not cover, with a reason', () => {
    const cases: [string, () => Uint8Array, string][] = [
      ['a progressive JPEG', () => projectFixture('jpeg/progressive.jpg'), 'progressive'],
      ['an arithmetic-coded JPEG', () => projectFixture('jpeg/arithmetic.jpg'), 'arithmetic'],
      ['a CMYK JPEG', () => projectFixture('jpeg/cmyk-adobe.jpg'), 'color-space'],
      ['a YCCK JPEG', () => projectFixture('jpeg/ycck-adobe.jpg'), 'color-space'],
      ['a truncated JPEG', () => projectFixture('bad/truncated.jpg'), 'truncated'],
      [
        'a 12-bit JPEG',
        () => {
          const bytes = fixtureFile('s422.jpg');
          return patched(bytes, markerOffset(bytes, 0xc0) + 4, [12]);
        },
        'precision',
      ],
      [
        'a lossless JPEG',
        () => {
          const bytes = fixtureFile('s422.jpg');
          return patched(bytes, markerOffset(bytes, 0xc0), [0xff, 0xc3]);
        },
        'lossless',
      ],
      [
        'a hierarchical JPEG',
        () => {
          const bytes = fixtureFile('s422.jpg');
          return patched(bytes, markerOffset(bytes, 0xc0), [0xff, 0xc5]);
        },
        'hierarchical',
      ],
      [
        'a frame whose height comes later in a DNL marker',
        () => {
          const bytes = fixtureFile('s422.jpg');
          return patched(bytes, markerOffset(bytes, 0xc0) + 5, [0, 0]);
        },
        'dimensions',
      ],
      [
        'luma sampled 3x1 and chroma 2x1 (a ratio of 3:2, no whole stretch)',
        () => {
          const bytes = fixtureFile('s422.jpg');
          const frame = markerOffset(bytes, 0xc0);
          return patched(patched(bytes, frame + 11, [0x31]), frame + 14, [0x21]);
        },
        'sampling',
      ],
      [
        'restart markers out of order',
        () => {
          const bytes = fixtureFile('s420-restart-every-mcu.jpg');
          return patched(bytes, markerOffset(bytes, 0xd0), [0xff, 0xd3]);
        },
        'malformed',
      ],
      [
        'entropy-coded data cut off before the last MCU',
        () => {
          const bytes = fixtureFile('s444-restart-every-row.jpg');
          return bytes.subarray(0, markerOffset(bytes, 0xd2));
        },
        'truncated',
      ],
      [
        'bytes that are not a JPEG',
        () => new TextEncoder().encode('not a jpeg at all'),
        'malformed',
      ],
      ['an empty input', () => new Uint8Array(0), 'malformed'],
    ];
    for (const [what, bytes, reason] of cases) {
      it(`falls back on ${what} (${reason})`, () => {
        const result = decodeScaledJpeg(bytes(), { scale: 2 });
        expect(result.ok).to.equal(false);
        if (!result.ok) expect(result.reason).to.equal(reason);
      });
    }

    it('falls back when the frame declares more pixels than the limit, before allocating', async () => {
      const result = decodeScaledJpeg(await photoJpeg(64, 64), { scale: 8, maxPixels: 4095 });
      expect(result).to.deep.include({ ok: false, reason: 'dimensions' });
    });
  });

  describe('on damaged input', () => {
    it('ends every one of 400 mutated files in a picture of the declared size or a reasoned fallback', async () => {
      const bases = [
        ...readdirSync(FIXTURES)
          .filter((name) => name.endsWith('.jpg'))
          .map((name) => ({ name, bytes: fixtureFile(name) })),
        { name: 'photo-420', bytes: await photoJpeg(96, 64) },
        { name: 'photo-444', bytes: await photoJpeg(50, 40, { chroma: '4:4:4' }) },
      ];
      const reasons = new Map<string, number>();
      let decoded = 0;
      for (let i = 0; i < 400; i++) {
        const fuzz = makeCase(caseSeed(6, i), bases);
        const scale = SCALES[i % SCALES.length]!;
        let result;
        try {
          result = decodeScaledJpeg(fuzz.bytes, { scale, maxPixels: 1 << 22 });
        } catch (error) {
          expect.fail(
            `case ${fuzz.seed} (${fuzz.base}, ${fuzz.mutations.join('+')}) threw ${String(error)}`,
          );
        }
        if (result.ok) {
          decoded++;
          const { width, height, sourceWidth, sourceHeight, data } = result.image;
          expect(width).to.equal(Math.ceil((sourceWidth * scale) / 8));
          expect(height).to.equal(Math.ceil((sourceHeight * scale) / 8));
          expect(data.length).to.equal(width * height * 4);
        } else {
          expect(result.reason, `case ${fuzz.seed}: ${result.detail}`).not.to.equal('internal');
          reasons.set(result.reason, (reasons.get(result.reason) ?? 0) + 1);
        }
      }
      // Both outcomes occur, so the corpus exercises the decoder and not only the header checks.
      expect(decoded).to.be.greaterThan(0);
      expect([...reasons.values()].reduce((a, b) => a + b, 0)).to.be.greaterThan(0);
    });
  });
});
