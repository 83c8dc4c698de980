/**
 * The planar shrink-on-load path: a baseline JPEG decoded as component planes at a reduced
 * scale (each at its own sampling), resized plane by plane and colour-converted at the output
 * size, against the RGBA path (decode to RGBA, then resize), and where the pipeline uses it.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeImage } from '../../../lib/decode.js';
import {
  decodeScaledJpeg,
  decodeScaledJpegPlanes,
  PLANE_MARGIN,
  type JpegScale,
  type ScaledJpegPlanes,
} from '../../../lib/jpeg/index.js';
import { processImage } from '../../../lib/index.js';
import { fitInside, resizeBitmap, resizePlanes, type Size } from '../../../lib/resize.js';
import type { Bitmap } from '../../../lib/types.js';
import { getFixture } from '../../fixtures.js';
import {
  BLUE,
  GREEN,
  RED,
  WHITE,
  bitmap,
  decodeOutput,
  jpegOf,
  near,
  orientationExif,
  pixel,
  withExif,
  type Rgba,
  renditionIn,
} from '../images.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const local = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(path.join(here, 'fixtures', name)));
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(getFixture(name).path));

function planesOf(bytes: Uint8Array, scale: JpegScale, minPlaneSize?: Size): ScaledJpegPlanes {
  const result = decodeScaledJpegPlanes(bytes, minPlaneSize ? { scale, minPlaneSize } : { scale });
  if (!result.ok) throw new Error(`planar decode fell back: ${result.detail}`);
  return result.image;
}

function rgbaOf(bytes: Uint8Array, scale: JpegScale): Bitmap {
  const result = decodeScaledJpeg(bytes, { scale });
  if (!result.ok) throw new Error(`RGBA decode fell back: ${result.detail}`);
  return result.image;
}

/** PSNR over R, G and B of two same-size RGBA bitmaps (Infinity when equal). */
function psnr(a: Bitmap, b: Bitmap): number {
  expect([a.width, a.height]).to.deep.equal([b.width, b.height]);
  let squared = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    for (let c = 0; c < 3; c++) squared += (a.data[i + c]! - b.data[i + c]!) ** 2;
  }
  return squared === 0 ? Infinity : 10 * Math.log10((255 * 255 * a.width * a.height * 3) / squared);
}

/** At least PLANE_MARGIN times `target` each way, as the decode stage asks for. */
const withMargin = (target: Size): Size => ({
  width: Math.ceil(target.width * PLANE_MARGIN),
  height: Math.ceil(target.height * PLANE_MARGIN),
});

/**
 * The planar path (planes at least `minPlaneSize`, by default PLANE_MARGIN times the target,
 * as the decode stage asks) and the RGBA path of one JPEG at one scale, resized to `target`
 * (by default 1/1.6 of the decoded size).
 */
function bothPaths(
  bytes: Uint8Array,
  scale: JpegScale,
  target?: Size,
  minPlaneSize?: Size,
): { planar: Bitmap; rgba: Bitmap } {
  const decoded = rgbaOf(bytes, scale);
  const size =
    target ??
    fitInside(
      decoded.width,
      decoded.height,
      Math.round(decoded.width / 1.6),
      Math.round(decoded.height / 1.6),
    );
  const planes = planesOf(bytes, scale, minPlaneSize ?? withMargin(size));
  expect([planes.width, planes.height]).to.deep.equal([decoded.width, decoded.height]);
  return { planar: resizePlanes(planes, size), rgba: resizeBitmap(decoded, size, false) };
}

/**
 * Where the red channel of row `y` crosses `level` going right, to a fraction of a pixel
 * (linear between the two pixels either side); NaN when it never does.
 */
function crossing(image: Bitmap, y: number, level: number, channel = 0): number {
  for (let x = 0; x + 1 < image.width; x++) {
    const a = image.data[(y * image.width + x) * 4 + channel]!;
    const b = image.data[(y * image.width + x + 1) * 4 + channel]!;
    if ((a - level) * (b - level) <= 0 && a !== b) return x + (a - level) / (a - b) + 0.5;
  }
  return NaN;
}

/** Transposes an RGBA bitmap (rows become columns). */
function transpose(image: Bitmap): Bitmap {
  const out = new Uint8ClampedArray(image.data.length);
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      out.set(
        image.data.subarray((y * image.width + x) * 4, (y * image.width + x) * 4 + 4),
        (x * image.height + y) * 4,
      );
    }
  }
  return { width: image.height, height: image.width, data: out };
}

// Two colours of (nearly) equal luma: the edge between them is carried by chroma alone.
const WARM: Rgba = [180, 80, 80, 255];
const COOL: Rgba = [60, 114, 220, 255];

describe('planar JPEG shrink-on-load (decode planes, resize each, convert colour at the end)', () => {
  it('decodes 4:2:0 chroma at its own reduced size, half the luma each way', () => {
    const planes = planesOf(fixture('size/large-photo.jpg'), 3);
    expect([planes.width, planes.height]).to.deep.equal([1500, 1125]);
    expect(planes.planes.map((p) => [p.width, p.height, p.xScale, p.yScale])).to.deep.equal([
      [1500, 1125, 1, 1],
      [750, 563, 0.5, 0.5],
      [750, 563, 0.5, 0.5],
    ]);
  });

  it('decodes 4:2:0 chroma with a larger IDCT when its own size would not cover the margin', () => {
    const photo = fixture('size/large-photo.jpg');
    const for800 = planesOf(photo, 3, withMargin({ width: 800, height: 600 }));
    expect(for800.planes.map((p) => [p.width, p.height, p.xScale])).to.deep.equal([
      [1500, 1125, 1],
      [1000, 750, 2 / 3],
      [1000, 750, 2 / 3],
    ]);
    // Asked for more than chroma can give below full size: chroma on the luma grid.
    const for1100 = planesOf(photo, 3, { width: 1100, height: 800 });
    expect(for1100.planes.map((p) => [p.width, p.xScale])).to.deep.equal([
      [1500, 1],
      [1500, 1],
      [1500, 1],
    ]);
  });

  it('loses under 1 dB against a full-size decode, compared with the RGBA path', () => {
    // The 12 MP photo for 800x600 at 3/8, both paths against a Lanczos-3 of the full decode,
    // before any encoding: chroma from 1000x750 rather than 1500x1125 costs about 0.8 dB.
    const photo = fixture('size/large-photo.jpg');
    const target = { width: 800, height: 600 };
    const reference = resizeBitmap(rgbaOf(photo, 8), target, false);
    const { planar, rgba } = bothPaths(photo, 3, target);
    expect(psnr(planar, reference)).to.be.at.least(psnr(rgba, reference) - 1);
  });

  it('gives the 12 MP photo at 3/8 within 40 dB of decoding to RGBA and then resizing', () => {
    const { planar, rgba } = bothPaths(fixture('size/large-photo.jpg'), 3, {
      width: 800,
      height: 600,
    });
    expect(psnr(planar, rgba)).to.be.at.least(40);
  });

  const small: [string, number][] = [
    ['s420-restart-every-mcu.jpg', 3],
    ['s444-restart-every-row.jpg', 3],
    ['gray-restart.jpg', 1],
    ['s422.jpg', 3],
    ['s440.jpg', 3],
    ['rgb.jpg', 3],
    ['dqt16.jpg', 3],
    ['two-scans.jpg', 3],
    ['three-scans.jpg', 3],
  ];
  for (const [name, components] of small) {
    for (const scale of [2, 3, 4] as const) {
      it(`gives ${name} at ${scale}/8 within 40 dB of the RGBA path`, () => {
        const bytes = local(name);
        expect(planesOf(bytes, scale).planes).to.have.length(components);
        const { planar, rgba } = bothPaths(bytes, scale);
        expect(psnr(planar, rgba), `${name} ${scale}/8`).to.be.at.least(40);
      });
    }
  }

  it('keeps a chroma-only vertical edge in an odd-sized 4:2:0 picture at its column', async () => {
    // 1001 x 601: no plane width or height is a multiple of 2, and chroma is 188 samples wide
    // at 3/8, so a shift of one chroma sample would move the edge by over a pixel.
    const edge = 500;
    const bytes = await jpegOf(
      bitmap(1001, 601, (x) => (x < edge ? WARM : COOL)),
      95,
    );
    const planes = planesOf(bytes, 3);
    expect(planes.planes[1]!.xScale).to.equal(0.5);
    expect(planes.planes[1]!.width).to.equal(188);
    const target = { width: 200, height: 120 };
    const { planar, rgba } = bothPaths(bytes, 3, target, { width: 0, height: 0 });
    const expected = (edge * target.width) / 1001;
    for (const y of [10, 60, 110]) {
      const found = crossing(planar, y, 120);
      expect(Math.abs(found - crossing(rgba, y, 120)), `row ${y}`).to.be.below(0.25);
      expect(Math.abs(found - expected), `row ${y}`).to.be.below(0.5);
    }
  });

  it('keeps a chroma-only horizontal edge in an odd-sized 4:2:0 picture at its row', async () => {
    const edge = 300;
    const bytes = await jpegOf(
      bitmap(601, 1001, (_, y) => (y < edge ? WARM : COOL)),
      95,
    );
    const target = { width: 120, height: 200 };
    const { planar, rgba } = bothPaths(bytes, 3, target, { width: 0, height: 0 });
    const expected = (edge * target.height) / 1001;
    const [planarT, rgbaT] = [transpose(planar), transpose(rgba)];
    for (const y of [10, 60, 110]) {
      const found = crossing(planarT, y, 120);
      expect(Math.abs(found - crossing(rgbaT, y, 120)), `column ${y}`).to.be.below(0.25);
      expect(Math.abs(found - expected), `column ${y}`).to.be.below(0.5);
    }
  });

  it('keeps the chroma edge at its column with chroma decoded at 2/3 of luma', async () => {
    const edge = 500;
    const bytes = await jpegOf(
      bitmap(1001, 601, (x) => (x < edge ? WARM : COOL)),
      95,
    );
    const target = { width: 200, height: 120 };
    expect(planesOf(bytes, 3, withMargin(target)).planes[1]!.xScale).to.equal(2 / 3);
    const { planar, rgba } = bothPaths(bytes, 3, target);
    for (const y of [10, 60, 110]) {
      const found = crossing(planar, y, 120);
      expect(Math.abs(found - crossing(rgba, y, 120)), `row ${y}`).to.be.below(0.25);
      expect(Math.abs(found - (edge * target.width) / 1001), `row ${y}`).to.be.below(0.5);
    }
  });

  it('is what the decode stage returns for a large baseline JPEG when planes are allowed', async () => {
    const request = {
      bytes: fixture('size/large-photo.jpg'),
      format: 'jpeg' as const,
      name: 'large-photo.jpg',
      targetBox: { width: 800, height: 600 },
    };
    const planar = await decodeImage({ ...request, planes: true });
    expect(planar.kind).to.equal('planes');
    expect([planar.width, planar.height]).to.deep.equal([4000, 3000]);
    expect((await decodeImage(request)).kind).to.equal('bitmap');
  });

  it('declines 4:1:1 and 3:1:1 chroma, which the RGBA path decodes instead', async () => {
    for (const name of ['s411.jpg', 's311.jpg']) {
      const result = decodeScaledJpegPlanes(local(name), { scale: 3 });
      expect(result.ok ? 'planes' : result.reason, name).to.equal('sampling');
      const decoded = await decodeImage({
        bytes: local(name),
        format: 'jpeg',
        name,
        targetBox: { width: 20, height: 15 },
        planes: true,
      });
      expect(decoded.kind, name).to.equal('bitmap');
      const bitmap = decoded.kind === 'bitmap' ? decoded.bitmap : undefined;
      expect(bitmap?.width, name).to.equal(rgbaOf(local(name), 4).width);
    }
  });

  it('leaves full-size, progressive, CMYK and non-JPEG decodes as RGBA bitmaps', async () => {
    const cases: [string, 'jpeg' | 'png'][] = [
      ['size/large-photo.jpg', 'jpeg'], // shrinkOnLoad false below: full size
      ['jpeg/progressive.jpg', 'jpeg'],
      ['jpeg/cmyk-adobe.jpg', 'jpeg'],
      ['jpeg/arithmetic.jpg', 'jpeg'],
      ['png/rgb-16bit.png', 'png'],
    ];
    for (const [name, format] of cases) {
      const decoded = await decodeImage({
        bytes: fixture(name),
        format,
        name,
        targetBox: { width: 8, height: 8 },
        planes: true,
        shrinkOnLoad: name !== 'size/large-photo.jpg',
      });
      expect(decoded.kind, name).to.equal('bitmap');
    }
  });

  it('keeps a portrait photo upright when EXIF says rotate 90 and it decodes as planes', async () => {
    // Stored 2400 x 3200 on its side; orientation 6 turns it into 3200 x 2400 quadrants.
    const width = 2400;
    const height = 3200;
    const stored = bitmap(width, height, (x, y) => {
      const ux = height - 1 - y;
      const uy = x;
      if (ux < height / 2) return uy < width / 2 ? RED : BLUE;
      return uy < width / 2 ? GREEN : WHITE;
    });
    const bytes = withExif(await jpegOf(stored, 90), orientationExif(6));
    const decoded = await decodeImage({
      bytes,
      format: 'jpeg',
      name: 'side.jpg',
      targetBox: { width: 600, height: 800 },
      planes: true,
    });
    expect(decoded.kind).to.equal('planes');
    const result = await processImage(bytes, { name: 'side.jpg' });
    const output = await decodeOutput(
      renditionIn(result, 'output').bytes,
      renditionIn(result, 'output').format,
    );
    expect([output.width, output.height]).to.deep.equal([800, 600]);
    expect(near(pixel(output, 200, 150), RED)).to.equal(true);
    expect(near(pixel(output, 600, 150), GREEN)).to.equal(true);
    expect(near(pixel(output, 200, 450), BLUE)).to.equal(true);
    expect(near(pixel(output, 600, 450), WHITE)).to.equal(true);
  });

  it('still cuts a full 150x150 cover thumbnail from a panorama (RGBA path)', async () => {
    const result = await processImage(fixture('size/panorama.jpg'), { name: 'panorama.jpg' });
    const thumbnail = await decodeOutput(
      renditionIn(result, 'thumbnails').bytes,
      renditionIn(result, 'thumbnails').format,
    );
    expect([thumbnail.width, thumbnail.height]).to.deep.equal([150, 150]);
    expect(near(pixel(thumbnail, 75, 75), GREEN)).to.equal(true);
  });
});
