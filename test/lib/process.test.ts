import { trace } from '@opentelemetry/api';
import { expect } from 'chai';
import { deflateSync } from 'node:zlib';
import {
  failureRecord,
  InternalError,
  loadCodecs,
  processImage,
  type ProcessResult,
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
  withExif,
} from './images.js';
import { FAULT_MESSAGE, installFaultyTracer } from './faulty-tracer.js';
import { failure } from '../helpers/image-error.js';

async function outputPixels(result: ProcessResult) {
  return {
    output: await decodeOutput(result.output.bytes, result.output.format),
    thumbnail: await decodeOutput(result.thumbnail.bytes, result.thumbnail.format),
  };
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
    expect(result.output).to.include({
      name: 'photos/holiday.jpg',
      format: 'jpeg',
      width: 800,
      height: 500,
    });
    expect(result.thumbnail).to.include({ format: 'jpeg', width: 150, height: 150 });
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
    expect(result.metadata.outputs.output.bytes).to.equal(result.output.bytes.length);
  });

  it('never upscales an image smaller than the box', async () => {
    const result = await processImage(await jpegOf(quadrants(120, 80)), { name: 'small.jpg' });
    expect(result.output).to.include({ width: 120, height: 80 });
    expect(result.thumbnail).to.include({ width: 120, height: 80 });
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
    expect(result.output).to.include({ width: 300, height: 400 });
    const { output } = await outputPixels(result);
    expect(near(pixel(output, 75, 100), RED)).to.equal(true);
    expect(near(pixel(output, 225, 100), GREEN)).to.equal(true);
    expect(near(pixel(output, 75, 300), BLUE)).to.equal(true);
    expect(near(pixel(output, 225, 300), WHITE)).to.equal(true);
  });

  it('fills a 150x150 thumbnail for a panorama that resizes to less than 150 high', async () => {
    const result = await processImage(await jpegOf(photoLike(2400, 300)), { name: 'pano.jpg' });
    expect(result.output).to.include({ width: 800, height: 100 });
    expect(result.thumbnail).to.include({ width: 150, height: 150 });
  });

  it('fills the thumbnail of a tall image stored sideways (orientation 6)', async () => {
    const source = withExif(await jpegOf(photoLike(2400, 300)), orientationExif(6));
    const result = await processImage(source, { name: 'tall.jpg' });
    expect(result.output).to.include({ width: 75, height: 600 });
    expect(result.thumbnail).to.include({ width: 150, height: 150 });
  });

  it('never upscales a thumbnail beyond the source itself', async () => {
    const result = await processImage(await jpegOf(photoLike(400, 90)), { name: 'strip.jpg' });
    expect(result.thumbnail).to.include({ width: 150, height: 90 });
  });

  it('rotates before fitting: a tall stored image with orientation 8 fits 800x600 as landscape', async () => {
    const source = withExif(await jpegOf(photoLike(600, 1600)), orientationExif(8));
    const result = await processImage(source, { name: 'tall.jpg' });
    expect(result.output).to.include({ width: 800, height: 300 });
  });

  it('writes a PNG that keeps transparency when the source has alpha', async () => {
    const source = await pngOf(
      bitmap(400, 400, (x, y) => (x >= 200 && y >= 200 ? [0, 0, 0, 0] : x < 200 ? RED : GREEN)),
    );
    const result = await processImage(source, { name: 'logo.png' });
    expect(result.output.format).to.equal('png');
    expect(result.output.contentType).to.equal('image/png');
    expect(result.metadata.image.hasAlpha).to.equal(true);
    const { output, thumbnail } = await outputPixels(result);
    expect(pixel(output, 300, 300)[3]).to.equal(0);
    expect(near(pixel(output, 100, 100), RED)).to.equal(true);
    expect(pixel(thumbnail, 140, 140)[3]).to.equal(0);
    // No dark fringe where colour meets transparency (premultiplied filtering).
    const edge = pixel(output, 202, 190);
    expect(near(edge, GREEN, 40)).to.equal(true);
  });

  it('turns an opaque PNG into a JPEG named .jpg', async () => {
    const result = await processImage(await pngOf(quadrants(64, 48)), { name: 'scans/scan.png' });
    expect(result.output.format).to.equal('jpeg');
    expect(result.output.name).to.equal('scans/scan.jpg');
  });

  it('honours the size, fit and quality options', async () => {
    const source = await jpegOf(photoLike(1000, 500));
    const result = await processImage(source, {
      name: 'x.jpg',
      maxWidth: 200,
      maxHeight: 200,
      thumbnailWidth: 64,
      thumbnailHeight: 64,
      thumbnailFit: 'contain',
      quality: 40,
    });
    expect(result.output).to.include({ width: 200, height: 100 });
    expect(result.thumbnail).to.include({ width: 64, height: 32 });
    const better = await processImage(source, {
      name: 'x.jpg',
      maxWidth: 200,
      maxHeight: 200,
      quality: 95,
    });
    expect(better.output.bytes.length).to.be.greaterThan(result.output.bytes.length);
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
      const error = await failure(processImage(source, { name: 'a.jpg', quality: 0 }));
      expect(error.code).to.equal('INVALID_OPTION');
      const notAnObject = await failure(processImage(source, null as never));
      expect(notAnObject.code).to.equal('INVALID_OPTION');
    });

    it('keeps working after a corrupt input (the codec instance recovers)', async () => {
      const source = await jpegOf(photoLike(200, 100));
      await failure(processImage(source.subarray(0, 400), { name: 'bad.jpg' }));
      const result = await processImage(source, { name: 'good.jpg' });
      expect(result.output.width).to.equal(200);
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
    expect(result.output).to.include({ width: 16, height: 16 });
    const progressive = withExif(await jpegOf(quadrants(40, 30)), orientationExif(6));
    const fromPool = Buffer.from(progressive);
    const rotated = await processImage(fromPool, { name: 'r.jpg' });
    expect(rotated.output).to.include({ width: 30, height: 40 });
    const png = Buffer.from(await pngOf(quadrants(20, 10)));
    expect((await processImage(png, { name: 'p.png' })).output).to.include({
      width: 20,
      height: 10,
    });
  });
});
