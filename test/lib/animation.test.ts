import { expect } from 'chai';
import { GifWriter } from 'omggif';
import sharp from 'sharp';
import { gifFrames } from '../../lib/animation/frames.js';
import { ImageError, loadCodecs, processImage } from '../../lib/index.js';
import { parseRenditions, type RenditionSpec } from '../../lib/renditions.js';

const W = 320;
const H = 240;
const DELAYS = [100, 200, 300, 400];

/**
 * A 4-frame animation written by sharp (libvips): frame f shows a red band at the f-th quarter
 * across, on blue, with a transparent strip along the top.
 */
async function animation(format: 'gif' | 'webp', loop: number): Promise<Uint8Array> {
  const strip = Buffer.alloc(W * H * DELAYS.length * 4);
  for (let f = 0; f < DELAYS.length; f++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const red = x >= (f * W) / 4 && x < ((f + 1) * W) / 4;
        const colour = red ? [255, 0, 0, 255] : [0, 0, 255, y < 20 ? 0 : 255];
        strip.set(colour, ((f * H + y) * W + x) * 4);
      }
    }
  }
  const image = sharp(strip, { raw: { width: W, height: H * 4, channels: 4, pageHeight: H } });
  const written =
    format === 'gif'
      ? image.gif({ delay: DELAYS, loop })
      : image.webp({ delay: DELAYS, loop, lossless: true });
  return new Uint8Array(await written.toBuffer());
}

const renditions = (animated: boolean): RenditionSpec[] =>
  parseRenditions(
    JSON.stringify([
      { container: 'output', width: 160, height: 160, animated },
      { container: 'thumbnails', width: 50, height: 50, fit: 'cover', format: 'webp', animated },
    ]),
    'renditions',
  );

/** What sharp (libvips, an independent reader) sees of an output with `{ animated: true }`. */
async function readBack(bytes: Uint8Array) {
  const { pages, pageHeight, delay, loop, width, format } = await sharp(bytes, {
    animated: true,
  }).metadata();
  return { format, pages: pages ?? 1, width, pageHeight, delay, loop };
}

describe('animated renditions', () => {
  before(async () => {
    await loadCodecs();
  });

  for (const format of ['gif', 'webp'] as const) {
    it(`keeps an animated ${format.toUpperCase()} moving with "animated": true: every frame, its timing and loop count, within the box`, async () => {
      const input = await animation(format, format === 'gif' ? 3 : 0);
      const result = await processImage(input, {
        name: `a.${format}`,
        renditions: renditions(true),
      });
      const [output, thumbnail] = result.renditions;
      expect(output).to.include({
        format,
        contentType: `image/${format}`,
        width: 160,
        height: 120,
      });
      expect(await readBack(output!.bytes)).to.deep.include({
        format,
        pages: 4,
        width: 160,
        pageHeight: 120,
        delay: DELAYS,
        loop: format === 'gif' ? 3 : 0,
      });
      expect(thumbnail).to.include({ format: 'webp', width: 50, height: 50 });
      expect(await readBack(thumbnail!.bytes)).to.deep.include({
        pages: 4,
        pageHeight: 50,
        delay: DELAYS,
      });
      // The last frame: its red band at the right-hand quarter.
      const frames = await sharp(output!.bytes, { animated: true }).ensureAlpha().raw().toBuffer();
      const at = (frame: number, x: number, y: number) => [
        ...frames.subarray(
          ((frame * 120 + y) * 160 + x) * 4,
          ((frame * 120 + y) * 160 + x) * 4 + 3,
        ),
      ];
      const [r, g, b] = at(3, 150, 60);
      expect(r).to.be.above(240);
      expect(g! + b!).to.be.below(20);
      expect(at(3, 10, 60)[2]).to.be.above(200);
      expect(result.metadata.image).to.include({ animated: true, frameCount: 4 });
      expect(result.metadata.settings.renditions[0]).to.include({ animated: true });
    });

    it(`keeps only the first frame of an animated ${format.toUpperCase()} without "animated"`, async () => {
      const input = await animation(format, 0);
      const result = await processImage(input, {
        name: `a.${format}`,
        renditions: renditions(false),
      });
      for (const rendition of result.renditions) {
        expect((await readBack(rendition.bytes)).pages, rendition.container).to.equal(1);
      }
      expect(result.renditions[0]!.format).to.equal(format === 'gif' ? 'png' : 'webp');
      expect(result.metadata.settings.renditions[0]).to.not.have.property('animated');
    });
  }

  it('refuses an animation over maxFrames, or over maxPixels in all its frames, before decoding any frame', async () => {
    const input = await animation('gif', 0);
    const tooMany = await processImage(input, {
      name: 'a.gif',
      renditions: renditions(true),
      maxFrames: 3,
    }).catch((error: unknown) => error);
    expect(tooMany).to.be.instanceOf(ImageError).with.property('code', 'TOO_MANY_PIXELS');
    expect((tooMany as Error).message).to.match(/4 frames, over the limit of 3 \(maxFrames\)/);
    // 4 frames of 320x240 are 307,200 pixels: over 200,000, though one frame is not.
    const tooBig = await processImage(input, {
      name: 'a.gif',
      renditions: renditions(true),
      maxPixels: 200_000,
    }).catch((error: unknown) => error);
    expect((tooBig as Error).message).to.match(/307200 pixels in all/);
    // Without "animated" the first frame is all that is decoded, and it is within the limits.
    await processImage(input, { name: 'a.gif', renditions: renditions(false), maxFrames: 1 });
  });

  it('parses "animated" as an optional boolean and fingerprints it only when set', () => {
    expect(() =>
      parseRenditions(
        '[{"container":"aaa","width":1,"height":1,"animated":"yes"}]',
        'IMG_RENDITIONS',
      ),
    ).to.throw(/Expected boolean for IMG_RENDITIONS\[0\]\.animated/);
    const [plain] = parseRenditions(
      '[{"container":"aaa","width":1,"height":1,"animated":false}]',
      'x',
    );
    expect(plain).to.not.have.property('animated');
  });
});

describe('gifFrames', () => {
  it('composes frames as GIF disposal says: keep, clear to transparent, restore the previous canvas', () => {
    // Palette: 0 black, 1 red, 2 green, 3 blue. A 20x20 screen.
    const buffer = Buffer.alloc(4096);
    const writer = new GifWriter(buffer, 20, 20, {
      palette: [0x000000, 0xff0000, 0x00ff00, 0x0000ff],
      loop: 0,
    });
    const fill = (n: number, index: number) => new Array<number>(n).fill(index);
    writer.addFrame(0, 0, 20, 20, fill(400, 1), { delay: 10, disposal: 1 });
    writer.addFrame(0, 0, 10, 10, fill(100, 2), { delay: 20, disposal: 2 });
    writer.addFrame(10, 10, 10, 10, fill(100, 3), { delay: 30, disposal: 3 });
    writer.addFrame(10, 0, 10, 10, fill(100, 2), { delay: 40, disposal: 1 });
    const bytes = new Uint8Array(buffer.subarray(0, writer.end()));
    const seen: string[][] = [];
    const delays: number[] = [];
    for (const { canvas, delayMs } of gifFrames(bytes, 'd.gif')) {
      // Top-left, top-right, bottom-left, bottom-right quadrants' centres.
      const name = (x: number, y: number) => {
        const [r, g, b, a] = canvas.data.subarray((y * 20 + x) * 4, (y * 20 + x) * 4 + 4);
        return a === 0 ? 'clear' : r ? 'red' : g ? 'green' : b ? 'blue' : 'black';
      };
      seen.push([name(5, 5), name(15, 5), name(5, 15), name(15, 15)]);
      delays.push(delayMs);
    }
    expect(seen).to.deep.equal([
      ['red', 'red', 'red', 'red'],
      ['green', 'red', 'red', 'red'],
      ['clear', 'red', 'red', 'blue'], // frame 2 cleared its square
      ['clear', 'green', 'red', 'red'], // frame 3 restored what was under it
    ]);
    expect(delays).to.deep.equal([100, 200, 300, 400]);
  });
});
