import { expect } from 'chai';
import sharp, { type TiffOptions } from 'sharp';
import { decodeImage, type DecodedBitmap } from '../../lib/decode.js';
import { ImageError } from '../../lib/errors.js';
import { decodeTiffLzw, readTiffDirectories } from '../../lib/tiff.js';
import { photoLike } from './images.js';

/** The TIFF decoded through the decode stage, as the pipeline does for an 800x600 box. */
function decodeTiff(bytes: Uint8Array, name: string): Promise<DecodedBitmap> {
  return decodeImage({ bytes, format: 'tiff', name, targetBox: { width: 800, height: 600 } });
}

/** A photo-like RGB TIFF written by libvips with the given options, and its pixels as RGBA. */
async function tiffOf(options: TiffOptions): Promise<{ tiff: Uint8Array; rgba: Buffer }> {
  const image = photoLike(90, 70);
  const input = sharp(Buffer.from(image.data), { raw: { width: 90, height: 70, channels: 4 } })
    .removeAlpha()
    .tiff(options);
  const tiff = new Uint8Array(await input.toBuffer());
  const rgba = await sharp(tiff).ensureAlpha().raw().toBuffer();
  return { tiff, rgba };
}

async function codeOf(work: () => Promise<unknown> | unknown): Promise<string | undefined> {
  try {
    await work();
  } catch (error) {
    return error instanceof ImageError ? error.code : `untyped ${String(error)}`;
  }
  return undefined;
}

/** Offset of the value (or the value itself when inline) of `tag` in the first directory. */
function entryOf(tiff: Uint8Array, tag: number): number {
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const ifd = view.getUint32(4, true);
  for (let i = 0; i < view.getUint16(ifd, true); i++) {
    if (view.getUint16(ifd + 2 + i * 12, true) === tag) return ifd + 2 + i * 12;
  }
  throw new Error(`no tag ${tag}`);
}

describe('TIFF reading (lib/tiff in front of utif2)', () => {
  it('decodes LZW strips with the horizontal predictor to the pixels libvips reads', async () => {
    const { tiff, rgba } = await tiffOf({ compression: 'lzw', predictor: 'horizontal' });
    expect(readTiffDirectories(tiff, 'p.tif').first['t259']).to.deep.equal([5]);
    const decoded = await decodeTiff(tiff, 'p.tif');
    expect(Buffer.from(decoded.bitmap.data).equals(rgba)).to.equal(true);
  });

  it('decodes LZW tiles (16x16, partly outside the image) to the pixels libvips reads', async () => {
    const { tiff, rgba } = await tiffOf({
      compression: 'lzw',
      tile: true,
      tileWidth: 16,
      tileHeight: 16,
    });
    expect(readTiffDirectories(tiff, 't.tif').first['t322']).to.deep.equal([16]);
    const decoded = await decodeTiff(tiff, 't.tif');
    expect(Buffer.from(decoded.bitmap.data).equals(rgba)).to.equal(true);
  });

  it('fails an LZW strip whose codes end before its rows do, instead of decoding part of it', async () => {
    const { tiff } = await tiffOf({ compression: 'lzw' });
    const cut = Uint8Array.from(tiff);
    const view = new DataView(cut.buffer);
    const counts = entryOf(cut, 279);
    expect(view.getUint32(counts + 4, true)).to.equal(1); // one strip, its byte count inline
    view.setUint32(counts + 8, Math.floor(view.getUint32(counts + 8, true) / 2), true);
    const code = await codeOf(() => decodeTiff(cut, 'cut.tif'));
    expect(code).to.equal('CORRUPT_IMAGE');
  });

  it('fails on an LZW code past the table (utif2 chased such codes forever)', () => {
    // 9-bit codes, most significant bit first: clear (256), 'A' (65), then 300 where 258 is next.
    const bits = [256, 65, 300].map((code) => code.toString(2).padStart(9, '0')).join('');
    const data = Uint8Array.from(bits.padEnd(32, '0').match(/.{8}/g)!, (byte) =>
      Number.parseInt(byte, 2),
    );
    expect(() => decodeTiffLzw(data, 3, 3, 'bad.tif'))
      .to.throw(ImageError)
      .with.property('code', 'CORRUPT_IMAGE');
    // With 258 (the entry being defined: 'A' + 'A') the stream is valid.
    const valid = [256, 65, 258, 257].map((code) => code.toString(2).padStart(9, '0')).join('');
    const validData = Uint8Array.from(valid.padEnd(40, '0').match(/.{8}/g)!, (byte) =>
      Number.parseInt(byte, 2),
    );
    expect(Array.from(decodeTiffLzw(validData, 3, 3, 'ok.tif'))).to.deep.equal([65, 65, 65]);
  });

  it('counts a directory chain that loops back on itself once, and still decodes the image', async () => {
    const { tiff, rgba } = await tiffOf({ compression: 'none' });
    const looped = Uint8Array.from(tiff);
    const view = new DataView(looped.buffer);
    const ifd = view.getUint32(4, true);
    const entries = view.getUint16(ifd, true);
    view.setUint32(ifd + 2 + entries * 12, ifd, true); // next directory: itself
    expect(readTiffDirectories(looped, 'l.tif').count).to.equal(1);
    const decoded = await decodeTiff(looped, 'l.tif');
    expect(decoded.info.frameCount).to.equal(1);
    expect(Buffer.from(decoded.bitmap.data).equals(rgba)).to.equal(true);
  });
});
