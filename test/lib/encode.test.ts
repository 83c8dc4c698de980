import { expect } from 'chai';
import sharp from 'sharp';
import { CodecError, encodeJpegWasm, type CodecImage } from '../../lib/codecs/index.js';
import { chooseFormat, contentTypeOf, encodeBitmap } from '../../lib/encode.js';
import { loadCodecs } from '../../lib/index.js';
import type { Bitmap } from '../../lib/types.js';
import { BLUE, GREEN, RED, bitmap, near, photoLike, type Rgba } from './images.js';

const asCodecImage = (image: Bitmap): CodecImage => ({
  width: image.width,
  height: image.height,
  data: new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.byteLength),
});

/** Decodes with sharp (libvips' libjpeg-turbo): an independent decoder, not ours. */
async function decodeWithSharp(jpeg: Uint8Array) {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** PSNR of the decoded RGB against the source RGBA's colour channels. */
function psnr(source: Bitmap, rgb: Uint8Array): number {
  let sum = 0;
  for (let i = 0, o = 0; i < source.data.length; i += 4, o += 3) {
    for (let c = 0; c < 3; c++) {
      const d = source.data[i + c]! - rgb[o + c]!;
      sum += d * d;
    }
  }
  return 10 * Math.log10((255 * 255) / (sum / ((source.data.length / 4) * 3)));
}

/** The marker segments before the scan, as [marker, payload]. */
function segments(jpeg: Uint8Array): [number, Uint8Array][] {
  expect([jpeg[0], jpeg[1]], 'SOI').to.deep.equal([0xff, 0xd8]);
  const found: [number, Uint8Array][] = [];
  let at = 2;
  while (at + 4 <= jpeg.length && jpeg[at] === 0xff) {
    const marker = jpeg[at + 1]!;
    const length = (jpeg[at + 2]! << 8) | jpeg[at + 3]!;
    found.push([marker, jpeg.subarray(at + 4, at + 2 + length)]);
    if (marker === 0xda) break;
    at += 2 + length;
  }
  return found;
}

/** Smooth shading with a little grain: compresses like a photo, unlike high-contrast noise. */
function smoothPhoto(width: number, height: number): Bitmap {
  let seed = 11;
  return bitmap(width, height, (x, y) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const grain = ((seed >> 16) % 9) - 4;
    return [
      128 + 90 * Math.sin(x / 41) * Math.cos(y / 67) + grain,
      120 + 80 * Math.cos((x + y) / 53) + grain,
      110 + 70 * Math.sin((x - 2 * y) / 97) + grain,
      255,
    ];
  });
}

/** sharp's own JPEG at a quality, from the same pixels: a reference for quality per byte. */
async function sharpJpeg(image: Bitmap, quality: number): Promise<Uint8Array> {
  const { width, height } = image;
  return sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), {
    raw: { width, height, channels: 4 },
  })
    .removeAlpha()
    .jpeg({ quality })
    .toBuffer();
}

/** The frame header: its SOF marker, size and each component's sampling factors (0xHV). */
function frameOf(jpeg: Uint8Array) {
  const frames = segments(jpeg).filter(
    ([m]) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc,
  );
  expect(frames, 'one frame').to.have.length(1);
  const [marker, sof] = frames[0]!;
  return {
    marker,
    precision: sof[0],
    height: (sof[1]! << 8) | sof[2]!,
    width: (sof[3]! << 8) | sof[4]!,
    sampling: Array.from({ length: sof[5]! }, (_, i) => sof[7 + 3 * i]!),
  };
}

/** Red, green and blue vertical bars. */
const testCard = (width: number, height: number) =>
  bitmap(width, height, (x) => (x < width / 3 ? RED : x < (2 * width) / 3 ? GREEN : BLUE));

/** The decoded colour at (x, y) as RGBA. */
function colourAt(
  decoded: { data: Uint8Array; width: number; channels: number },
  x: number,
  y: number,
): Rgba {
  const i = (y * decoded.width + x) * decoded.channels;
  return [decoded.data[i]!, decoded.data[i + 1]!, decoded.data[i + 2]!, 255];
}

/** Checks the middle of each bar of a decoded test card. */
async function expectTestCard(jpeg: Uint8Array, width: number, height: number) {
  const decoded = await decodeWithSharp(jpeg);
  expect([decoded.width, decoded.height]).to.deep.equal([width, height]);
  const y = Math.floor(height / 2);
  const bars: [number, Rgba][] = [
    [Math.floor(width / 6), RED],
    [Math.floor(width / 2), GREEN],
    [Math.floor((5 * width) / 6), BLUE],
  ];
  for (const [x, colour] of bars) {
    const actual = colourAt(decoded, x, y);
    expect(near(actual, colour, 40), `(${x}, ${y}) of ${width}x${height} is ${actual}`).to.equal(
      true,
    );
  }
}

/** JPEG's zigzag order: the k-th stored coefficient is at this natural (row-major) index. */
const ZIGZAG = [
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
  13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52,
  45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];
/** ITU-T T.81 Annex K luminance table (row-major), which libjpeg-turbo scales by quality. */
const ANNEX_K_LUMINANCE = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
  14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113,
  92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];

/** Annex K's luminance table at a libjpeg quality, in stored (zigzag) order. */
function annexKAt(quality: number): number[] {
  const scale = quality < 50 ? 5000 / quality : 200 - quality * 2;
  return ZIGZAG.map((natural) =>
    Math.min(255, Math.max(1, Math.floor((ANNEX_K_LUMINANCE[natural]! * scale + 50) / 100))),
  );
}

/** The 8-bit luminance quantisation table (id 0) the JPEG declares, in stored order. */
function luminanceTable(jpeg: Uint8Array): number[] {
  for (const [marker, payload] of segments(jpeg)) {
    for (let at = 0; marker === 0xdb && at < payload.length;) {
      const precision = payload[at]! >> 4;
      const id = payload[at]! & 15;
      const size = precision ? 128 : 64;
      if (id === 0 && precision === 0) return Array.from(payload.subarray(at + 1, at + 65));
      at += 1 + size;
    }
  }
  throw new Error('no luminance table');
}

describe('JPEG encoding', () => {
  before(async () => {
    await loadCodecs();
  });

  it('encodes an 800x600 photo as a baseline 4:2:2 JFIF JPEG with no metadata that sharp decodes faithfully', async () => {
    const photo = smoothPhoto(800, 600);
    const jpeg = await encodeJpegWasm(asCodecImage(photo), 82);

    const found = segments(jpeg);
    const markers = found.map(([marker]) => marker);
    expect(markers[0], 'JFIF APP0 first').to.equal(0xe0);
    expect(String.fromCharCode(...found[0]![1].subarray(0, 5))).to.equal('JFIF\0');
    expect(
      markers.filter((m) => (m >= 0xe1 && m <= 0xef) || m === 0xfe),
      'no EXIF, ICC, XMP or comment',
    ).to.deep.equal([]);
    expect(frameOf(jpeg), 'baseline (SOF0), 8-bit, 4:2:2 (luma 2x1, chroma 1x1)').to.deep.equal({
      marker: 0xc0,
      precision: 8,
      width: 800,
      height: 600,
      sampling: [0x21, 0x11, 0x11],
    });

    const metadata = await sharp(jpeg).metadata();
    expect(metadata).to.include({ isProgressive: false });
    const decoded = await decodeWithSharp(jpeg);
    expect([decoded.width, decoded.height, decoded.channels]).to.deep.equal([800, 600, 3]);
    // 39.96 dB measured; sharp's own q82 encode of the same pixels scores 40.02 dB.
    const score = psnr(photo, decoded.data);
    expect(score).to.be.above(38);
    const reference = psnr(photo, (await decodeWithSharp(await sharpJpeg(photo, 82))).data);
    expect(score).to.be.above(reference - 0.5);
  });

  it('keeps a red, green and blue test card red, green and blue', async () => {
    for (const [width, height] of [
      [800, 600],
      [150, 150],
      [48, 48],
    ] as const) {
      await expectTestCard(
        await encodeJpegWasm(asCodecImage(testCard(width, height)), 82),
        width,
        height,
      );
    }
  });

  it('encodes sizes that are not multiples of the 16-pixel MCU (801x601, 150x113)', async () => {
    for (const [width, height] of [
      [801, 601],
      [150, 113],
    ] as const) {
      const photo = smoothPhoto(width, height);
      const decoded = await decodeWithSharp(await encodeJpegWasm(asCodecImage(photo), 82));
      expect([decoded.width, decoded.height]).to.deep.equal([width, height]);
      expect(psnr(photo, decoded.data), `${width}x${height}`).to.be.above(38);
      await expectTestCard(
        await encodeJpegWasm(asCodecImage(testCard(width, height)), 82),
        width,
        height,
      );
    }
  });

  it('encodes tiny and thin images (1x1, 7x5, 15x15, 47x47, 800x20) correctly too', async () => {
    for (const [width, height] of [
      [1, 1],
      [7, 5],
      [15, 15],
      [47, 47],
      [800, 20],
    ] as const) {
      const colour: Rgba = [200, 40, 90, 255];
      const jpeg = await encodeJpegWasm(asCodecImage(bitmap(width, height, () => colour)), 82);
      // sharp's metadata says 4:2:0 for any subsampling, so read the frame header: mozjpeg
      // keeps tiny images' chroma whole (4:4:4), libjpeg-turbo halves it across (4:2:2).
      const small = width < 32;
      expect(frameOf(jpeg), `${width}x${height}`).to.deep.equal({
        marker: 0xc0,
        precision: 8,
        width,
        height,
        sampling: [small ? 0x11 : 0x21, 0x11, 0x11],
      });
      const decoded = await decodeWithSharp(jpeg);
      expect(near(colourAt(decoded, width >> 1, height >> 1), colour, 8)).to.equal(true);
      if (width >= 15)
        await expectTestCard(
          await encodeJpegWasm(asCodecImage(testCard(width, height)), 82),
          width,
          height,
        );
    }
  });

  it("hands libjpeg-turbo only images whose buffer holds TurboJPEG's worst case, mozjpeg the rest", async () => {
    // libjpeg-turbo quantises with Annex K's tables scaled by quality, mozjpeg with its own: the
    // table tells which encoder ran. TurboJPEG trusts its output buffer to hold
    // PAD(w,16) * PAD(h,8) * 4 + 2048 bytes (4:2:2), and the buffer is w * h * 6 bytes, so 32x32
    // (6144 >= 6144) is the smallest square it may take and 31x31 (5766 < 6144) is not.
    const tableOf = async (width: number, height: number) =>
      luminanceTable(await encodeJpegWasm(asCodecImage(photoLike(width, height)), 82));
    expect(await tableOf(800, 600)).to.deep.equal(annexKAt(82));
    expect(await tableOf(150, 150)).to.deep.equal(annexKAt(82));
    expect(await tableOf(32, 32)).to.deep.equal(annexKAt(82));
    expect(await tableOf(800, 6)).to.deep.equal(annexKAt(82));
    for (const [width, height] of [
      [31, 31],
      [1, 1],
      [800, 5],
      [800, 3],
    ] as const) {
      expect(await tableOf(width, height), `${width}x${height}`).not.to.deep.equal(annexKAt(82));
    }
  });

  it('makes larger files at higher quality, and closer to the source', async () => {
    for (const [width, height] of [
      [800, 600],
      [15, 15],
    ] as const) {
      const photo = photoLike(width, height);
      const sizes: number[] = [];
      const scores: number[] = [];
      for (const quality of [10, 30, 50, 70, 82, 95]) {
        const jpeg = await encodeJpegWasm(asCodecImage(photo), quality);
        sizes.push(jpeg.length);
        scores.push(psnr(photo, (await decodeWithSharp(jpeg)).data));
      }
      const rising = (values: number[]) => values.every((v, i) => i === 0 || v > values[i - 1]!);
      expect(rising(sizes), `${width}x${height} sizes ${sizes}`).to.equal(true);
      expect(rising(scores), `${width}x${height} PSNR ${scores}`).to.equal(true);
    }
  });

  it('ignores alpha: the same colours encode to the same bytes whatever the alpha', async () => {
    const opaque = photoLike(200, 150);
    const translucent = { ...opaque, data: Uint8ClampedArray.from(opaque.data) };
    for (let i = 3; i < translucent.data.length; i += 4) translucent.data[i] = i % 251;
    const a = await encodeJpegWasm(asCodecImage(opaque), 82);
    const b = await encodeJpegWasm(asCodecImage(translucent), 82);
    expect(Buffer.from(a).equals(Buffer.from(b))).to.equal(true);
  });

  it('keeps each of several images in flight at once apart', async () => {
    const colours: Rgba[] = [RED, GREEN, BLUE, [255, 255, 0, 255]];
    const jpegs = await Promise.all(
      colours.map((colour, i) =>
        encodeBitmap(
          bitmap(100 + i * 20, 80, () => colour),
          'jpeg',
          82,
          false,
        ),
      ),
    );
    for (const [i, jpeg] of jpegs.entries()) {
      const decoded = await decodeWithSharp(jpeg);
      expect(decoded.width).to.equal(100 + i * 20);
      expect(near(colourAt(decoded, 10, 10), colours[i]!, 8)).to.equal(true);
    }
  });

  it('turns a bitmap of the wrong length into a CodecError, and encodes the next image', async () => {
    const short = { width: 100, height: 100, data: new Uint8ClampedArray(100 * 99 * 4) };
    const error = await encodeJpegWasm(short, 82).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(CodecError);
    expect((error as Error).message).to.match(/40000 bytes of RGBA/);
    await expectTestCard(await encodeJpegWasm(asCodecImage(testCard(90, 60)), 82), 90, 60);
  });
});

describe('output format policy', () => {
  it('keeps JPEG, PNG, WebP and AVIF inputs in their own format, transparent or not', () => {
    for (const format of ['jpeg', 'png', 'webp', 'avif'] as const) {
      expect(chooseFormat('auto', format, false), format).to.equal(format);
    }
    expect(chooseFormat('auto', 'png', true)).to.equal('png');
    expect(chooseFormat('auto', 'webp', true)).to.equal('webp');
  });

  it('writes GIF, BMP and TIFF as PNG when a pixel is transparent, else as JPEG', () => {
    for (const format of ['gif', 'bmp', 'tiff'] as const) {
      expect(chooseFormat('auto', format, true), format).to.equal('png');
      expect(chooseFormat('auto', format, false), format).to.equal('jpeg');
    }
  });

  it('keeps a forced format whatever the input', () => {
    expect(chooseFormat('webp', 'jpeg', false)).to.equal('webp');
    expect(chooseFormat('jpeg', 'png', true)).to.equal('jpeg');
    expect(chooseFormat('avif', 'gif', true)).to.equal('avif');
  });

  it('gives each format its own Content-Type', () => {
    expect(['jpeg', 'png', 'webp', 'avif'].map((f) => contentTypeOf(f as 'jpeg'))).to.deep.equal([
      'image/jpeg',
      'image/png',
      'image/webp',
      'image/avif',
    ]);
  });
});

describe('encodeBitmap in every format', () => {
  before(async () => {
    await loadCodecs();
  });

  /** Left half opaque red, right half fully transparent (black underneath). */
  const halfTransparent = () => bitmap(64, 32, (x) => (x < 32 ? RED : [0, 0, 0, 0]));

  /** Decodes with sharp, always as RGBA. */
  async function rgbaWithSharp(bytes: Uint8Array) {
    const meta = await sharp(bytes).metadata();
    const { data, info } = await sharp(bytes)
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { meta, width: info.width, height: info.height, data };
  }

  const at = (image: { width: number; data: Uint8Array }, x: number, y: number): Rgba => {
    const i = (y * image.width + x) * 4;
    return [image.data[i]!, image.data[i + 1]!, image.data[i + 2]!, image.data[i + 3]!];
  };

  it('writes a WebP that sharp reads at its size, with its colours and its transparency', async () => {
    const webp = await encodeBitmap(halfTransparent(), 'webp', 82, true);
    const decoded = await rgbaWithSharp(webp);
    expect(decoded.meta).to.include({ format: 'webp', width: 64, height: 32, hasAlpha: true });
    expect(near(at(decoded, 8, 16), RED, 8)).to.equal(true);
    expect(at(decoded, 56, 16)[3]).to.equal(0);
  });

  it('writes an AVIF (AV1 in HEIF) that sharp reads at its size, with its transparency', async () => {
    const avif = await encodeBitmap(halfTransparent(), 'avif', 82, true);
    const decoded = await rgbaWithSharp(avif);
    expect(decoded.meta).to.include({ format: 'heif', compression: 'av1', width: 64, height: 32 });
    expect(decoded.meta.hasAlpha).to.equal(true);
    expect(near(at(decoded, 8, 16), RED, 12)).to.equal(true);
    expect(at(decoded, 56, 16)[3]).to.equal(0);
  });

  it('flattens a transparent image onto white for JPEG, which has no alpha', async () => {
    const jpeg = await encodeBitmap(halfTransparent(), 'jpeg', 90, true);
    const decoded = await rgbaWithSharp(jpeg);
    expect(decoded.meta).to.include({ format: 'jpeg', width: 64, height: 32 });
    expect(near(at(decoded, 8, 16), RED, 12)).to.equal(true);
    expect(near(at(decoded, 56, 16), [255, 255, 255, 255], 6)).to.equal(true);
  });

  it('writes a one-frame GIF that sharp reads at its size (its encoder loaded on first use)', async () => {
    const gif = await encodeBitmap(halfTransparent(), 'gif', 82, true);
    const decoded = await rgbaWithSharp(gif);
    expect(decoded.meta).to.include({ format: 'gif', width: 64, height: 32 });
    expect(near(at(decoded, 8, 16), RED, 12)).to.equal(true);
    expect(at(decoded, 56, 16)[3]).to.equal(0);
  });

  it('spends more bytes at a higher quality in WebP and AVIF', async () => {
    const photo = photoLike(160, 120);
    for (const format of ['webp', 'avif'] as const) {
      const low = await encodeBitmap(photo, format, 30, false);
      const high = await encodeBitmap(photo, format, 90, false);
      expect(high.length, format).to.be.greaterThan(low.length);
    }
  });
});
