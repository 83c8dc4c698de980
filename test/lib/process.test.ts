import { trace } from '@opentelemetry/api';
import { expect } from 'chai';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import {
  DEFAULT_RENDITIONS,
  failureRecord,
  InternalError,
  loadCodecs,
  processImage,
  renditionsFingerprint,
  type ProcessResult,
  type RenditionSpec,
} from '../../lib/index.js';
import {
  BLUE,
  GREEN,
  PNG_SIGNATURE,
  RED,
  WHITE,
  bitmap,
  decodeOutput,
  jpegOf,
  near,
  orientationExif,
  photoLike,
  pixel,
  pngChunk,
  pngOf,
  quadrants,
  renditionIn,
  withExif,
} from './images.js';
import { FAULT_MESSAGE, installFaultyTracer } from './faulty-tracer.js';
import { failure } from '../helpers/image-error.js';

/** The default renditions: the resized image and the thumbnail. */
const output = (result: ProcessResult) => renditionIn(result, 'output');
const thumbnail = (result: ProcessResult) => renditionIn(result, 'thumbnails');

async function outputPixels(result: ProcessResult) {
  return {
    output: await decodeOutput(output(result).bytes, output(result).format),
    thumbnail: await decodeOutput(thumbnail(result).bytes, thumbnail(result).format),
  };
}

const LARGE_WEBP: RenditionSpec = {
  container: 'large',
  width: 1600,
  height: 1200,
  fit: 'inside',
  format: 'webp',
  quality: 82,
};

/** PSNR of two RGBA bitmaps of the same size, colour channels only. */
function psnr(a: { data: ArrayLike<number> }, b: { data: ArrayLike<number> }): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    for (let c = 0; c < 3; c++, n++) sum += (a.data[i + c]! - b.data[i + c]!) ** 2;
  }
  return 10 * Math.log10((255 * 255) / Math.max(sum / n, 1e-9));
}

/** A PNG whose IHDR declares width x height, with one tiny IDAT: a decompression bomb. */
function pngBomb(width: number, height: number): Uint8Array {
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const idat = deflateSync(new Uint8Array(4096));
  return Uint8Array.from([
    ...PNG_SIGNATURE,
    ...pngChunk('IHDR', ihdr),
    ...pngChunk('IDAT', idat),
    ...pngChunk('IEND', new Uint8Array(0)),
  ]);
}

describe('processImage', () => {
  before(async () => {
    await loadCodecs();
  });

  it('fits a landscape JPEG inside 800x600 and crops a 150x150 thumbnail', async () => {
    const source = await jpegOf(photoLike(1600, 1000));
    const result = await processImage(source, { name: 'photos/holiday.jpg' });
    expect(output(result)).to.include({
      name: 'photos/holiday.jpg',
      format: 'jpeg',
      width: 800,
      height: 500,
    });
    expect(thumbnail(result)).to.include({ format: 'jpeg', width: 150, height: 150 });
    const decoded = await outputPixels(result);
    expect(decoded.output.width).to.equal(800);
    expect(decoded.thumbnail.height).to.equal(150);
    expect(result.metadata.status).to.equal('succeeded');
    expect(result.metadata.image).to.include({
      width: 1600,
      height: 1000,
      orientation: 1,
      hasAlpha: false,
    });
    expect(result.metadata.renditions[0]!.bytes).to.equal(output(result).bytes.length);
  });

  it('never upscales an image smaller than the box', async () => {
    const result = await processImage(await jpegOf(quadrants(120, 80)), { name: 'small.jpg' });
    expect(output(result)).to.include({ width: 120, height: 80 });
    expect(thumbnail(result)).to.include({ width: 120, height: 80 });
  });

  it('keeps colours where they were (quadrants survive the resize)', async () => {
    const result = await processImage(await jpegOf(quadrants(1200, 900)), { name: 'q.jpg' });
    const { output } = await outputPixels(result);
    expect(near(pixel(output, 200, 150), RED)).to.equal(true);
    expect(near(pixel(output, 600, 150), GREEN)).to.equal(true);
    expect(near(pixel(output, 200, 450), BLUE)).to.equal(true);
    expect(near(pixel(output, 600, 450), WHITE)).to.equal(true);
  });

  it('keeps a portrait photo upright when EXIF says rotate 90 (orientation 6)', async () => {
    // Stored sideways: the upright top-left (red) is stored at the bottom-left.
    const upright = quadrants(300, 400);
    const stored = bitmap(400, 300, (x, y) => pixel(upright, 299 - y, x));
    const source = withExif(await jpegOf(stored), orientationExif(6));
    const result = await processImage(source, { name: 'portrait.jpg' });
    expect(result.metadata.image.orientation).to.equal(6);
    expect(output(result)).to.include({ width: 300, height: 400 });
    const pixels = (await outputPixels(result)).output;
    expect(near(pixel(pixels, 75, 100), RED)).to.equal(true);
    expect(near(pixel(pixels, 225, 100), GREEN)).to.equal(true);
    expect(near(pixel(pixels, 75, 300), BLUE)).to.equal(true);
    expect(near(pixel(pixels, 225, 300), WHITE)).to.equal(true);
  });

  it('fills a 150x150 thumbnail for a panorama that resizes to less than 150 high', async () => {
    const result = await processImage(await jpegOf(photoLike(2400, 300)), { name: 'pano.jpg' });
    expect(output(result)).to.include({ width: 800, height: 100 });
    expect(thumbnail(result)).to.include({ width: 150, height: 150 });
  });

  it('fills the thumbnail of a tall image stored sideways (orientation 6)', async () => {
    const source = withExif(await jpegOf(photoLike(2400, 300)), orientationExif(6));
    const result = await processImage(source, { name: 'tall.jpg' });
    expect(output(result)).to.include({ width: 75, height: 600 });
    expect(thumbnail(result)).to.include({ width: 150, height: 150 });
  });

  it('never upscales a thumbnail beyond the source itself', async () => {
    const result = await processImage(await jpegOf(photoLike(400, 90)), { name: 'strip.jpg' });
    expect(thumbnail(result)).to.include({ width: 150, height: 90 });
  });

  it('rotates before fitting: a tall stored image with orientation 8 fits 800x600 as landscape', async () => {
    const source = withExif(await jpegOf(photoLike(600, 1600)), orientationExif(8));
    const result = await processImage(source, { name: 'tall.jpg' });
    expect(output(result)).to.include({ width: 800, height: 300 });
  });

  it('writes a PNG that keeps transparency when the source has alpha', async () => {
    const source = await pngOf(
      bitmap(400, 400, (x, y) => (x >= 200 && y >= 200 ? [0, 0, 0, 0] : x < 200 ? RED : GREEN)),
    );
    const result = await processImage(source, { name: 'logo.png' });
    expect(output(result).format).to.equal('png');
    expect(output(result).contentType).to.equal('image/png');
    expect(result.metadata.image.hasAlpha).to.equal(true);
    const pixels = await outputPixels(result);
    expect(pixel(pixels.output, 300, 300)[3]).to.equal(0);
    expect(near(pixel(pixels.output, 100, 100), RED)).to.equal(true);
    expect(pixel(pixels.thumbnail, 140, 140)[3]).to.equal(0);
    // No dark fringe where colour meets transparency (premultiplied filtering).
    const edge = pixel(pixels.output, 202, 190);
    expect(near(edge, GREEN, 40)).to.equal(true);
  });

  it('keeps an opaque PNG a PNG under its own name', async () => {
    const result = await processImage(await pngOf(quadrants(64, 48)), { name: 'scans/scan.png' });
    for (const rendition of result.renditions) {
      expect(rendition).to.include({ name: 'scans/scan.png', format: 'png' });
      expect(rendition.contentType).to.equal('image/png');
    }
  });

  it('gives a JPEG and a PNG of the same base name results of their own names', async () => {
    const jpeg = await processImage(await jpegOf(quadrants(64, 48)), { name: 'dup/scan.jpg' });
    const png = await processImage(await pngOf(quadrants(64, 48)), { name: 'dup/scan.png' });
    expect(jpeg.renditions.map((r) => [r.container, r.name, r.contentType])).to.deep.equal([
      ['output', 'dup/scan.jpg', 'image/jpeg'],
      ['thumbnails', 'dup/scan.jpg', 'image/jpeg'],
    ]);
    expect(png.renditions.map((r) => [r.container, r.name, r.contentType])).to.deep.equal([
      ['output', 'dup/scan.png', 'image/png'],
      ['thumbnails', 'dup/scan.png', 'image/png'],
    ]);
  });

  it('honours the size, fit and quality of each rendition', async () => {
    const source = await jpegOf(photoLike(1000, 500));
    const small = (quality: number): RenditionSpec[] => [
      { container: 'output', width: 200, height: 200, fit: 'inside', format: 'auto', quality },
      { container: 'thumbnails', width: 64, height: 64, fit: 'contain', format: 'auto', quality },
    ];
    const result = await processImage(source, { name: 'x.jpg', renditions: small(40) });
    expect(output(result)).to.include({ width: 200, height: 100 });
    expect(thumbnail(result)).to.include({ width: 64, height: 32 });
    const better = await processImage(source, { name: 'x.jpg', renditions: small(95) });
    expect(output(better).bytes.length).to.be.greaterThan(output(result).bytes.length);
  });

  it('records a SHA-256, the declared content type and a timing per stage', async () => {
    const source = await jpegOf(quadrants(32, 32));
    const result = await processImage(source, { name: 'a.jpg', declaredContentType: 'image/png' });
    expect(result.metadata.source).to.include({
      format: 'jpeg',
      declaredContentType: 'image/png',
      bytes: source.length,
    });
    expect(result.metadata.source.sha256).to.match(/^[0-9a-f]{64}$/);
    for (const stage of [
      'sniff',
      'guard',
      'decode',
      'orient',
      'resize',
      'thumbnail',
      'encode',
      'metadata',
    ]) {
      expect(result.metadata.timingsMs[stage], stage).to.be.a('number');
    }
  });

  describe('renditions', () => {
    /** Reads an encoded rendition with sharp, an independent decoder. */
    async function readWithSharp(bytes: Uint8Array) {
      const meta = await sharp(bytes).metadata();
      return {
        format: meta.format,
        compression: meta.compression,
        width: meta.width,
        height: meta.height,
      };
    }

    it('makes every rendition in order under the input name, each read back at its size and format', async () => {
      const avifCover: RenditionSpec = {
        container: 'squares',
        width: 300,
        height: 300,
        fit: 'cover',
        format: 'avif',
        quality: 50,
      };
      const result = await processImage(await jpegOf(photoLike(2000, 1250)), {
        name: 'trip/beach.jpg',
        renditions: [...DEFAULT_RENDITIONS, LARGE_WEBP, avifCover],
      });
      expect(
        result.renditions.map((r) => [
          r.container,
          r.name,
          r.format,
          r.contentType,
          r.width,
          r.height,
        ]),
      ).to.deep.equal([
        ['output', 'trip/beach.jpg', 'jpeg', 'image/jpeg', 800, 500],
        ['thumbnails', 'trip/beach.jpg', 'jpeg', 'image/jpeg', 150, 150],
        ['large', 'trip/beach.jpg', 'webp', 'image/webp', 1600, 1000],
        ['squares', 'trip/beach.jpg', 'avif', 'image/avif', 300, 300],
      ]);
      const read = await Promise.all(result.renditions.map((r) => readWithSharp(r.bytes)));
      expect(read).to.deep.equal([
        { format: 'jpeg', compression: undefined, width: 800, height: 500 },
        { format: 'jpeg', compression: undefined, width: 150, height: 150 },
        { format: 'webp', compression: undefined, width: 1600, height: 1000 },
        { format: 'heif', compression: 'av1', width: 300, height: 300 },
      ]);
    });

    it('records every rendition and the settings, with their fingerprint, in the metadata', async () => {
      const renditions = [...DEFAULT_RENDITIONS, LARGE_WEBP];
      const result = await processImage(await jpegOf(photoLike(400, 300)), {
        name: 'a.jpg',
        renditions,
      });
      expect(result.metadata.renditions).to.deep.equal(
        result.renditions.map(({ bytes, ...rest }) => ({ ...rest, bytes: bytes.length })),
      );
      expect(result.metadata.settings).to.deep.equal({
        fingerprint: renditionsFingerprint({ renditions, shrinkOnLoad: true, includeGps: true }),
        renditions,
      });
      const other = await processImage(await jpegOf(photoLike(40, 30)), { name: 'b.jpg' });
      expect(other.metadata.settings.fingerprint).to.not.equal(
        result.metadata.settings.fingerprint,
      );
    });

    it('keeps WebP and AVIF inputs in their format and writes a transparent GIF as PNG', async () => {
      const picture = quadrants(120, 80);
      const raw = {
        raw: { width: picture.width, height: picture.height, channels: 4 as const },
      };
      const pixels = Buffer.from(picture.data.buffer, picture.data.byteOffset, picture.data.length);
      const webp = await sharp(pixels, raw).webp().toBuffer();
      const avif = await sharp(pixels, raw).avif().toBuffer();
      const holed = bitmap(120, 80, (x, y) => (x > 60 && y > 40 ? [0, 0, 0, 0] : RED));
      const gif = await sharp(Buffer.from(holed.data.buffer), {
        raw: { width: 120, height: 80, channels: 4 },
      })
        .gif()
        .toBuffer();
      const opaqueGif = await sharp(pixels, raw).gif().toBuffer();
      const formats = await Promise.all(
        [
          [webp, 'a.webp'],
          [avif, 'a.avif'],
          [gif, 'a.gif'],
          [opaqueGif, 'b.gif'],
        ].map(async ([bytes, name]) => {
          const result = await processImage(bytes as Buffer, { name: name as string });
          return result.renditions.map((r) => `${r.name} ${r.format} ${r.contentType}`);
        }),
      );
      expect(formats).to.deep.equal([
        ['a.webp webp image/webp', 'a.webp webp image/webp'],
        ['a.avif avif image/avif', 'a.avif avif image/avif'],
        ['a.gif png image/png', 'a.gif png image/png'],
        ['b.gif jpeg image/jpeg', 'b.gif jpeg image/jpeg'],
      ]);
    });

    it('flattens a transparent PNG onto white when a rendition forces JPEG', async () => {
      const source = await pngOf(bitmap(200, 100, (x) => (x < 100 ? RED : [0, 0, 255, 0])));
      const jpeg: RenditionSpec = { ...DEFAULT_RENDITIONS[0]!, format: 'jpeg' };
      const result = await processImage(source, { name: 'logo.png', renditions: [jpeg] });
      expect(output(result)).to.include({ format: 'jpeg', contentType: 'image/jpeg' });
      const decoded = await decodeOutput(output(result).bytes, 'jpeg');
      expect(near(pixel(decoded, 50, 50), RED)).to.equal(true);
      expect(near(pixel(decoded, 150, 50), WHITE, 4)).to.equal(true);
    });

    it('sizes a rendition by its own box when a larger one sets the decoded size', async () => {
      // 1999x1333 rounds differently from 1600 wide than from the full size.
      const source = await jpegOf(photoLike(1999, 1333));
      const alone = await processImage(source, { name: 'a.jpg' });
      const withLarge = await processImage(source, {
        name: 'a.jpg',
        renditions: [...DEFAULT_RENDITIONS, LARGE_WEBP],
      });
      expect(output(withLarge)).to.include({
        width: output(alone).width,
        height: output(alone).height,
      });
      expect(renditionIn(withLarge, 'large')).to.include({ width: 1600, height: 1067 });
    });

    it('makes the same rendition whether or not a larger one is asked for', async () => {
      const source = await jpegOf(photoLike(2400, 1800));
      const alone = await processImage(source, { name: 'a.jpg' });
      const withLarge = await processImage(source, {
        name: 'a.jpg',
        renditions: [...DEFAULT_RENDITIONS, LARGE_WEBP],
      });
      const a = await decodeOutput(output(alone).bytes, 'jpeg');
      const b = await decodeOutput(output(withLarge).bytes, 'jpeg');
      expect(psnr(a, b)).to.be.above(30);
    });
  });

  describe('errors', () => {
    it('refuses an empty input with EMPTY_INPUT', async () => {
      const error = await failure(processImage(new Uint8Array(0), { name: 'empty.jpg' }));
      expect(error.code).to.equal('EMPTY_INPUT');
      expect(error.permanent).to.equal(true);
    });

    it('refuses a text file named .jpg with UNSUPPORTED_FORMAT', async () => {
      const error = await failure(
        processImage(new TextEncoder().encode('hello, not an image'), { name: 'note.jpg' }),
      );
      expect(error.code).to.equal('UNSUPPORTED_FORMAT');
    });

    it('refuses more bytes than maxBytes with TOO_LARGE', async () => {
      const source = await jpegOf(photoLike(64, 64));
      const error = await failure(processImage(source, { name: 'big.jpg', maxBytes: 100 }));
      expect(error.code).to.equal('TOO_LARGE');
    });

    it('refuses a 30000x30000 PNG bomb with TOO_MANY_PIXELS before decoding it', async () => {
      const bomb = pngBomb(30000, 30000);
      expect(bomb.length).to.be.lessThan(300);
      const before = process.memoryUsage().rss;
      const error = await failure(processImage(bomb, { name: 'bomb.png' }));
      expect(error.code).to.equal('TOO_MANY_PIXELS');
      // A decoded bitmap would be 3.6 GB; nothing near that was allocated.
      expect(process.memoryUsage().rss - before).to.be.lessThan(100 * 1024 * 1024);
    });

    it('applies maxPixels as configured', async () => {
      const source = await jpegOf(photoLike(100, 100));
      const error = await failure(processImage(source, { name: 'a.jpg', maxPixels: 9999 }));
      expect(error.code).to.equal('TOO_MANY_PIXELS');
      await processImage(source, { name: 'a.jpg', maxPixels: 10000 });
    });

    it('refuses a truncated JPEG with CORRUPT_IMAGE instead of a half-grey picture', async () => {
      const source = await jpegOf(photoLike(400, 300));
      const error = await failure(
        processImage(source.subarray(0, Math.floor(source.length * 0.6)), { name: 't.jpg' }),
      );
      expect(error.code).to.equal('CORRUPT_IMAGE');
    });

    it('refuses a truncated PNG with CORRUPT_IMAGE', async () => {
      const source = await pngOf(photoLike(200, 200));
      const error = await failure(
        processImage(source.subarray(0, Math.floor(source.length / 2)), { name: 't.png' }),
      );
      expect(error.code).to.equal('CORRUPT_IMAGE');
    });

    it('refuses a header that ends early with CORRUPT_IMAGE', async () => {
      const error = await failure(
        processImage(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00]), { name: 'h.jpg' }),
      );
      expect(error.code).to.equal('CORRUPT_IMAGE');
    });

    it('refuses a bad option with INVALID_OPTION', async () => {
      const source = await jpegOf(quadrants(8, 8));
      const renditions = [{ ...DEFAULT_RENDITIONS[0]!, quality: 0 }];
      const error = await failure(processImage(source, { name: 'a.jpg', renditions }));
      expect(error.code).to.equal('INVALID_OPTION');
      expect(error.message).to.contain('renditions[0].quality');
      const notAnObject = await failure(processImage(source, null as never));
      expect(notAnObject.code).to.equal('INVALID_OPTION');
    });

    it('keeps working after a corrupt input (the codec instance recovers)', async () => {
      const source = await jpegOf(photoLike(200, 100));
      await failure(processImage(source.subarray(0, 400), { name: 'bad.jpg' }));
      const result = await processImage(source, { name: 'good.jpg' });
      expect(output(result).width).to.equal(200);
    });
  });

  describe('a bug inside a stage', () => {
    afterEach(() => trace.disable());

    // Each stage's span is a real dependency of the stage; a faulty tracer makes it throw a
    // TypeError inside the stage, as a bug in the stage's own code would.
    for (const stage of [
      'sniff',
      'guard',
      'exif',
      'decode',
      'resize',
      'colour',
      'orient',
      'thumbnail',
      'encode',
    ]) {
      it(`surfaces a TypeError thrown inside the ${stage} stage as INTERNAL, not permanent`, async () => {
        const source = await jpegOf(photoLike(64, 48));
        installFaultyTracer(stage);
        const error = await failure(processImage(source, { name: 'photo.jpg' }));
        expect(error).to.be.instanceOf(InternalError);
        expect(error).to.include({ code: 'INTERNAL', permanent: false });
        expect(error.cause).to.be.instanceOf(TypeError).with.property('message', FAULT_MESSAGE);
        expect(error.message).to.contain('photo.jpg').and.contain('not a problem with the image');
      });
    }
  });

  describe('failureRecord', () => {
    it('describes a failed input with the error code, message, hash and detected format', async () => {
      const bytes = pngBomb(30000, 30000);
      const error = await failure(processImage(bytes, { name: 'bomb.png' }));
      const record = failureRecord(
        { name: 'bomb.png', bytes, declaredContentType: 'image/png' },
        error,
      );
      expect(record.status).to.equal('failed');
      expect(record.error).to.deep.equal({
        code: 'TOO_MANY_PIXELS',
        message: error.message,
        permanent: true,
      });
      expect(record.source).to.include({
        name: 'bomb.png',
        format: 'png',
        bytes: bytes.length,
        declaredContentType: 'image/png',
      });
    });

    it('records a non-ImageError as INTERNAL, not permanent, and omits the format of unknown bytes', () => {
      const record = failureRecord(
        { name: 'x.bin', bytes: new Uint8Array([1, 2, 3]) },
        new Error('boom'),
      );
      expect(record.error).to.include({ code: 'INTERNAL', permanent: false });
      expect(record.source.format).to.equal(undefined);
    });
  });
});

describe('processImage with Node Buffers', () => {
  it('reads a small Buffer from Node’s shared pool (a view at an offset) correctly', async () => {
    const jpeg = await jpegOf(quadrants(16, 16));
    const pooled = Buffer.from(jpeg);
    expect(pooled.byteOffset > 0 || pooled.buffer.byteLength > pooled.length).to.equal(true);
    const result = await processImage(pooled, { name: 'small.jpg' });
    expect(output(result)).to.include({ width: 16, height: 16 });
    const progressive = withExif(await jpegOf(quadrants(40, 30)), orientationExif(6));
    const fromPool = Buffer.from(progressive);
    const rotated = await processImage(fromPool, { name: 'r.jpg' });
    expect(output(rotated)).to.include({ width: 30, height: 40 });
    const png = Buffer.from(await pngOf(quadrants(20, 10)));
    expect(output(await processImage(png, { name: 'p.png' }))).to.include({
      width: 20,
      height: 10,
    });
  });
});
