import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { GifReader, GifWriter } from 'omggif';
import sharp from 'sharp';
import { ImageError } from '../../lib/errors.js';
import { decodeGifFirstFrame, decodeGifLzw, readGifStructure } from '../../lib/gif.js';
import { FIXTURES } from '../fixtures.js';

/** What omggif (an independent reader) draws for the first frame of a sound GIF. */
function omggifFirstFrame(gif: Uint8Array): Uint8Array {
  const reader = new GifReader(Buffer.from(gif));
  const data = new Uint8Array(reader.width * reader.height * 4);
  reader.decodeAndBlitFrameRGBA(0, data);
  return data;
}

/** A GIF written by omggif: a noisy first frame (offset, local palette, transparency) and a second. */
function writtenGif(): Uint8Array {
  const buffer = Buffer.alloc(64 * 1024);
  const palette = Array.from({ length: 256 }, (_, i) => (i * 0x010305) & 0xffffff);
  const writer = new GifWriter(buffer, 60, 40, { palette, loop: 0 });
  let seed = 11;
  const indexes = Array.from({ length: 50 * 30 }, (_, i) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return i % 7 === 0 ? (seed >> 16) & 255 : (i >> 4) & 255;
  });
  writer.addFrame(5, 6, 50, 30, indexes, { transparent: 3 });
  writer.addFrame(0, 0, 60, 40, new Array<number>(60 * 40).fill(9));
  return new Uint8Array(buffer.subarray(0, writer.end()));
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof ImageError ? error.code : `untyped ${String(error)}`;
  }
  return undefined;
}

describe('GIF reading (lib/gif)', () => {
  it('draws the fixture animation frame exactly as omggif does, and counts its frames', () => {
    const fixture = FIXTURES.find((f) => f.name === 'other/animated.gif')!;
    const gif = new Uint8Array(readFileSync(fixture.path));
    const decoded = decodeGifFirstFrame(gif, fixture.name);
    expect([decoded.width, decoded.height]).to.deep.equal([fixture.width, fixture.height]);
    expect(decoded.frameCount).to.equal(fixture.frameCount);
    expect(Buffer.from(decoded.data).equals(Buffer.from(omggifFirstFrame(gif)))).to.equal(true);
  });

  it('places an offset frame with a transparent index on a clear canvas, like omggif', () => {
    const gif = writtenGif();
    const decoded = decodeGifFirstFrame(gif, 'w.gif');
    expect(decoded.frameCount).to.equal(2);
    expect(decoded.data[3]).to.equal(0); // (0,0) is outside the 50x30 frame at (5,6)
    expect(Buffer.from(decoded.data).equals(Buffer.from(omggifFirstFrame(gif)))).to.equal(true);
  });

  it('draws a noisy 300x200 GIF from libvips (12-bit codes, table resets) exactly as omggif does', async () => {
    const width = 300;
    const height = 200;
    const rgba = Buffer.alloc(width * height * 4);
    let seed = 3;
    for (let i = 0; i < width * height; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      rgba.set([seed >>> 24, (i * 7) & 255, (seed >>> 16) & 255, 255], i * 4);
    }
    const gif = new Uint8Array(
      await sharp(rgba, { raw: { width, height, channels: 4 } })
        .gif({ dither: 1 })
        .toBuffer(),
    );
    const decoded = decodeGifFirstFrame(gif, 'noise.gif');
    expect(Buffer.from(decoded.data).equals(Buffer.from(omggifFirstFrame(gif)))).to.equal(true);
  });

  it('puts the rows of an interlaced GIF back in order', () => {
    const width = 7;
    const height = 21;
    const stored = [0, 8, 16, 4, 12, 20, 2, 6, 10, 14, 18, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19];
    // Row y is painted with palette index y; the rows are written in interlaced order.
    const indexes = stored.flatMap((row) => new Array<number>(width).fill(row));
    const buffer = Buffer.alloc(4096);
    const palette = Array.from({ length: 32 }, (_, i) => i * 0x080402);
    const writer = new GifWriter(buffer, width, height, { palette });
    writer.addFrame(0, 0, width, height, indexes);
    const gif = new Uint8Array(buffer.subarray(0, writer.end()));
    const descriptor = 13 + 32 * 3;
    expect(gif[descriptor]).to.equal(0x2c);
    gif[descriptor + 9] = gif[descriptor + 9]! | 0x40; // the interlace flag
    expect(readGifStructure(gif, 'i.gif').first.interlaced).to.equal(true);
    const decoded = decodeGifFirstFrame(gif, 'i.gif');
    for (let y = 0; y < height; y++) {
      expect(
        Array.from(decoded.data.subarray(y * width * 4, y * width * 4 + 3)),
        `row ${y}`,
      ).to.deep.equal([y * 8, y * 4, y * 2]);
    }
    expect(Buffer.from(decoded.data).equals(Buffer.from(omggifFirstFrame(gif)))).to.equal(true);
  });

  it('fails a GIF whose image data ends before the frame is complete, instead of drawing part of it', () => {
    const gif = writtenGif();
    const { dataOffset } = readGifStructure(gif, 'w.gif').first;
    // Keep the block structure sound: one short sub-block of the original codes, then the end.
    const cut = Uint8Array.from([
      ...gif.subarray(0, dataOffset + 1),
      40,
      ...gif.subarray(dataOffset + 2, dataOffset + 42),
      0,
      0x3b,
    ]);
    expect(codeOf(() => decodeGifFirstFrame(cut, 'cut.gif'))).to.equal('CORRUPT_IMAGE');
    expect(
      codeOf(() => decodeGifFirstFrame(gif.subarray(0, gif.length - 200), 'cut.gif')),
    ).to.equal('CORRUPT_IMAGE');
  });

  it('fails on an LZW code that is not in the table yet (omggif chased such codes forever)', () => {
    // Minimum code size 2: clear (4), index 0, then code 7 where the next free code is 6.
    // 3-bit codes, least significant bit first: 100 000 111 -> 0b111_000_100 = 0x1c4.
    const data = Uint8Array.from([2, 2, 0xc4, 0x01, 0]);
    expect(codeOf(() => decodeGifLzw(data, 0, 4, 'bad.gif'))).to.equal('CORRUPT_IMAGE');
    // The same stream with code 6 (the entry being defined) is valid: 0, then 0 0.
    const valid = Uint8Array.from([2, 2, 0x84, 0x01, 0]);
    expect(Array.from(decodeGifLzw(valid, 0, 3, 'ok.gif'))).to.deep.equal([0, 0, 0]);
  });

  it('refuses a frame outside the screen and a GIF without any image', () => {
    const gif = writtenGif();
    const moved = Uint8Array.from(gif);
    const descriptor = gif.indexOf(0x2c, 13 + 256 * 3);
    moved[descriptor + 1] = 30; // x = 30: 30 + 50 > 60
    expect(codeOf(() => decodeGifFirstFrame(moved, 'm.gif'))).to.equal('CORRUPT_IMAGE');
    const empty = Uint8Array.from([...gif.subarray(0, 13 + 256 * 3), 0x3b]);
    expect(codeOf(() => readGifStructure(empty, 'e.gif'))).to.equal('CORRUPT_IMAGE');
  });
});
