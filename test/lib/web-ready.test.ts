import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { expect } from 'chai';
import sharp from 'sharp';
import { thumbHashToRGBA } from 'thumbhash';
import { hammingDistance, processImage, type ProcessResult } from '../../lib/index.js';
import type { Bitmap } from '../../lib/types.js';
import {
  bitmap,
  decodeOutput,
  jpegOf,
  photoLike,
  pngOf,
  renditionIn,
  type Rgba,
} from './images.js';
import { landscape, stillLife, SUBJECT, subjectRightThird } from './scenes.js';

/** CIELAB (D65) of an sRGB colour, for colour differences as a person sees them. */
function lab([r, g, b]: readonly number[]): [number, number, number] {
  const linear = (c: number) => {
    const v = c / 255;
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const [lr, lg, lb] = [linear(r!), linear(g!), linear(b!)];
  const x = (0.4124 * lr + 0.3576 * lg + 0.1805 * lb) / 0.95047;
  const y = 0.2126 * lr + 0.7152 * lg + 0.0722 * lb;
  const z = (0.0193 * lr + 0.1192 * lg + 0.9505 * lb) / 1.08883;
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : (841 / 108) * t + 4 / 29);
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

/** CIE76 colour difference: about 2.3 is the smallest difference most people notice. */
function deltaE(a: readonly number[], b: readonly number[]): number {
  const [la, lb] = [lab(a), lab(b)];
  return Math.hypot(la[0] - lb[0], la[1] - lb[1], la[2] - lb[2]);
}

/** The mean colour of an image's pixels, in sRGB values. */
function meanColour(image: { data: ArrayLike<number> }): number[] {
  const sum = [0, 0, 0];
  const count = image.data.length / 4;
  for (let i = 0; i < count; i++) for (let c = 0; c < 3; c++) sum[c]! += image.data[i * 4 + c]!;
  return sum.map((value) => value / count);
}

function rgbOfHex(hex: string): number[] {
  return [1, 3, 5].map((at) => parseInt(hex.slice(at, at + 2), 16));
}

async function processed(image: Bitmap, extra: object = {}): Promise<ProcessResult> {
  return processImage(await jpegOf(image, 92), { name: 'scene.jpg', ...extra });
}

/** The same picture as `bytes`, resized to half by another library and saved at quality 60. */
async function halfAtQuality60(image: Bitmap): Promise<Uint8Array> {
  const raw = { width: image.width, height: image.height, channels: 4 as const };
  return sharp(Buffer.from(image.data), { raw })
    .resize(Math.round(image.width / 2), Math.round(image.height / 2))
    .jpeg({ quality: 60 })
    .toBuffer();
}

describe('web-ready results', () => {
  describe('placeholder', () => {
    it('decodes back (with the same ThumbHash implementation) to the image’s average colour within ΔE 5', async () => {
      const image = landscape(1200, 800);
      const { metadata } = await processed(image);
      const placeholder = metadata.image.placeholder!;
      const decoded = thumbHashToRGBA(Buffer.from(placeholder.thumbhash, 'base64'));
      // ThumbHash keeps the average in 6 bits a channel of its own colour space (about ±4 of 255
      // in blue), so a few ΔE is the format's own precision.
      expect(deltaE(meanColour({ data: decoded.rgba }), meanColour(image))).to.be.below(5);
      expect(deltaE(rgbOfHex(placeholder.averageColor), meanColour(image))).to.be.below(5);
      expect(decoded.w / decoded.h).to.be.closeTo(1.5, 0.2);
    });

    it('keeps transparency in the hash of an image with alpha', async () => {
      const halfClear = bitmap(200, 100, (x) => (x < 100 ? [200, 30, 30, 255] : [0, 0, 0, 0]));
      const { metadata } = await processImage(await pngOf(halfClear), { name: 'a.png' });
      const decoded = thumbHashToRGBA(Buffer.from(metadata.image.placeholder!.thumbhash, 'base64'));
      const alpha = (x: number) =>
        decoded.rgba[(Math.floor(decoded.h / 2) * decoded.w + x) * 4 + 3]!;
      expect(alpha(1)).to.be.above(200);
      expect(alpha(decoded.w - 2)).to.be.below(60);
    });
  });

  describe('dominant colour', () => {
    it('is the blue of a picture two-thirds blue and one-third orange', async () => {
      const blue: Rgba = [30, 80, 200, 255];
      const orange: Rgba = [240, 140, 30, 255];
      const image = bitmap(300, 200, (x) => (x < 200 ? blue : orange));
      const { metadata } = await processed(image);
      expect(deltaE(rgbOfHex(metadata.image.dominantColor!), blue)).to.be.below(3);
    });

    it('is one of the colours of a red-and-green picture, never the brown of their mean', async () => {
      const red: Rgba = [220, 20, 20, 255];
      const green: Rgba = [20, 180, 20, 255];
      const image = bitmap(300, 200, (x, y) => ((x + y) % 50 < 28 ? red : green));
      const { metadata } = await processed(image);
      const dominant = rgbOfHex(metadata.image.dominantColor!);
      expect(Math.min(deltaE(dominant, red), deltaE(dominant, green))).to.be.below(6);
    });
  });

  describe('perceptual hash', () => {
    it('differs by at most 6 bits between a photo and the same photo at half size and quality 60', async () => {
      for (const image of [landscape(1600, 1200), stillLife(1600, 1200)]) {
        const original = await processed(image);
        const copy = await processImage(await halfAtQuality60(image), { name: 'copy.jpg' });
        const [a, b] = [
          original.metadata.image.perceptualHash!,
          copy.metadata.image.perceptualHash!,
        ];
        expect(a).to.match(/^[0-9a-f]{16}$/);
        expect(hammingDistance(a, b), `${a} ${b}`).to.be.at.most(6);
      }
    });

    it('differs by at least 20 bits between different photos', async () => {
      const hashes = await Promise.all(
        [landscape(800, 600), stillLife(800, 600), photoLike(800, 600)].map(
          async (image) => (await processed(image)).metadata.image.perceptualHash!,
        ),
      );
      for (const [i, a] of hashes.entries()) {
        for (const b of hashes.slice(i + 1)) {
          expect(hammingDistance(a, b), `${a} ${b}`).to.be.at.least(20);
        }
      }
    });
  });

  describe('crop position', () => {
    const wide = subjectRightThird(900, 300);
    const thumbnailAt = (position: string) => [
      { container: 'thumbnails', width: 150, height: 150, fit: 'cover', position },
    ];
    /** Share of a thumbnail's pixels that are the subject's skin tone. */
    async function subjectShare(result: ProcessResult): Promise<number> {
      const thumb = renditionIn(result, 'thumbnails');
      const pixels = await decodeOutput(thumb.bytes, thumb.format);
      let hits = 0;
      for (let i = 0; i < pixels.data.length; i += 4) {
        if (deltaE([pixels.data[i]!, pixels.data[i + 1]!, pixels.data[i + 2]!], SUBJECT) < 10)
          hits++;
      }
      return hits / (pixels.data.length / 4);
    }

    it('attention crops a wide picture to the subject in its right third; centre misses it', async () => {
      const attention = await processed(wide, { renditions: thumbnailAt('attention') });
      const centre = await processed(wide, { renditions: thumbnailAt('centre') });
      expect(await subjectShare(attention)).to.be.above(0.2);
      expect(await subjectShare(centre)).to.equal(0);
      expect(attention.metadata.settings.renditions[0]).to.include({ position: 'attention' });
      expect(attention.metadata.timingsMs).to.have.property('position');
    });

    it('entropy finds the same subject, the only detail in the picture', async () => {
      const entropy = await processed(wide, { renditions: thumbnailAt('entropy') });
      expect(await subjectShare(entropy)).to.be.above(0.2);
    });

    it('keeps the centre crop of a plain picture whatever the position', async () => {
      const plain = bitmap(600, 200, () => [120, 130, 140, 255]);
      const results = await Promise.all(
        ['centre', 'entropy', 'attention'].map((position) =>
          processed(plain, { renditions: thumbnailAt(position) }),
        ),
      );
      const [centre, ...others] = results.map((r) => renditionIn(r, 'thumbnails').bytes);
      for (const other of others) expect(Buffer.compare(other!, centre!)).to.equal(0);
    });
  });

  describe('spans', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    before(() => {
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
      trace.setGlobalTracerProvider(provider);
    });
    after(async () => {
      await provider.shutdown();
      trace.disable();
      context.disable();
    });

    it('runs each web-ready stage in its own span, with what it found', async () => {
      const renditions = [
        { container: 'output', width: 400, height: 300 },
        { container: 'thumbnails', width: 100, height: 100, fit: 'cover', position: 'entropy' },
      ];
      const { metadata } = await processed(landscape(800, 400), { renditions });
      const spans = new Map(exporter.getFinishedSpans().map((span) => [span.name, span]));
      for (const stage of [
        'sample',
        'position',
        'placeholder',
        'dominantColor',
        'perceptualHash',
      ]) {
        expect(spans.has(`image.${stage}`), stage).to.equal(true);
      }
      expect(spans.get('image.sample')?.attributes).to.include({
        'serverless_img.width': 64,
        'serverless_img.height': 32,
      });
      expect(spans.get('image.position')?.attributes).to.include({
        'serverless_img.positions': 'centre,entropy',
      });
      expect(spans.get('image.perceptualHash')?.attributes).to.include({
        'serverless_img.perceptual_hash': metadata.image.perceptualHash,
      });
      expect(spans.get('image.dominantColor')?.attributes).to.include({
        'serverless_img.dominant_color': metadata.image.dominantColor,
      });
    });
  });

  describe('settings', () => {
    it('leaves out each result turned off, and runs none of their stages when all are', async () => {
      const image = landscape(400, 300);
      const off = await processed(image, {
        placeholder: false,
        dominantColor: false,
        perceptualHash: false,
      });
      expect(off.metadata.image).to.not.have.any.keys(
        'placeholder',
        'dominantColor',
        'perceptualHash',
      );
      expect(off.metadata.timingsMs).to.not.have.any.keys('sample', 'placeholder', 'position');
      const on = await processed(image);
      expect(on.metadata.image).to.include.all.keys(
        'placeholder',
        'dominantColor',
        'perceptualHash',
      );
      expect(on.metadata.timingsMs).to.include.all.keys(
        'sample',
        'placeholder',
        'dominantColor',
        'perceptualHash',
      );
    });
  });
});
