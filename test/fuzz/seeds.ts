/**
 * The seed images the fuzz suite mutates: every small valid fixture in `fixtures/images/`
 * (see `test/fixtures.ts`), plus images made in memory with sharp so the suite has seeds of
 * every format (and EXIF to chew on) even before or without the fixture files.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { VALID_FIXTURES } from '../fixtures.js';
import { bmp32 } from '../helpers/bmp.js';

/** One seed: a name for messages and the bytes. */
export interface Seed {
  name: string;
  bytes: Uint8Array;
}

/** A small CMYK profile (fixtures/icc), embedded in the CMYK seed. */
const CMYK_PROFILE = fileURLToPath(
  new URL('../../fixtures/icc/fogra39l-coated.icc', import.meta.url),
);

/** Fixtures above this size are skipped: mutating them only makes each case slower. */
const MAX_SEED_BYTES = 256 * 1024;

/** Photo-like RGBA pixels (gradients, noise, a shape), so codecs have real structure. */
function photoPixels(width: number, height: number, seed: number): Buffer {
  const pixels = Buffer.alloc(width * height * 4);
  let noise = seed;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      noise = (noise * 1103515245 + 12345) >>> 0;
      const n = (noise >>> 24) % 32;
      const inCircle = (x - width / 2) ** 2 + (y - height / 2) ** 2 < (height / 3) ** 2;
      const i = (y * width + x) * 4;
      pixels[i] = ((x * 255) / width + n) & 0xff;
      pixels[i + 1] = inCircle ? 200 : ((y * 255) / height) & 0xff;
      pixels[i + 2] = (128 + n * 2) & 0xff;
      pixels[i + 3] = x < width / 4 ? 128 : 255;
    }
  }
  return pixels;
}

/** A 24-bit BMP, written by hand (sharp does not write BMP). */
function bmp(width: number, height: number, rgba: Buffer): Uint8Array {
  const row = Math.ceil((width * 3) / 4) * 4;
  const out = Buffer.alloc(54 + row * height);
  out.write('BM', 0, 'ascii');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(54, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(24, 28);
  out.writeUInt32LE(row * height, 34);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = ((height - 1 - y) * width + x) * 4;
      const to = 54 + y * row + x * 3;
      out[to] = rgba[from + 2]!;
      out[to + 1] = rgba[from + 1]!;
      out[to + 2] = rgba[from]!;
    }
  }
  return out;
}

async function generated(): Promise<Seed[]> {
  const width = 48;
  const height = 32;
  const rgba = photoPixels(width, height, 7);
  const raw = { raw: { width, height, channels: 4 as const } };
  const opaque = () => sharp(rgba, raw).removeAlpha();
  const pages = { raw: { ...raw.raw, pageHeight: height / 2 } };
  const exif = {
    IFD0: { Make: 'FuzzCam', Model: 'Model 1', Orientation: '6', DateTime: '2024:05:01 10:20:30' },
    IFD3: {
      GPSLatitudeRef: 'N',
      GPSLatitude: '47/1 36/1 3/1',
      GPSLongitudeRef: 'W',
      GPSLongitude: '122/1 19/1 55/1',
    },
  };
  const seeds: [string, Promise<Buffer>][] = [
    ['gen/exif.jpg', opaque().withExif(exif).jpeg({ quality: 80 }).toBuffer()],
    ['gen/progressive.jpg', opaque().jpeg({ progressive: true }).toBuffer()],
    ['gen/gray.jpg', opaque().grayscale().jpeg().toBuffer()],
    // CMYK with its profile: lib/jpeg's four-plane decode and LittleCMS's profile parser.
    [
      'gen/cmyk-profile.jpg',
      opaque().toColourspace('cmyk').withIccProfile(CMYK_PROFILE).jpeg().toBuffer(),
    ],
    ['gen/alpha.png', sharp(rgba, raw).png().toBuffer()],
    ['gen/palette.png', opaque().png({ palette: true, colours: 16 }).toBuffer()],
    ['gen/16bit.png', opaque().toColourspace('rgb16').png().toBuffer()],
    ['gen/interlaced.png', opaque().png({ progressive: true }).toBuffer()],
    ['gen/anim.gif', sharp(rgba, raw).gif().toBuffer()],
    ['gen/lossy.webp', opaque().withExif(exif).webp({ quality: 70 }).toBuffer()],
    ['gen/lossless.webp', sharp(rgba, raw).webp({ lossless: true }).toBuffer()],
    ['gen/image.tif', opaque().withExif(exif).tiff().toBuffer()],
    ['gen/image.avif', opaque().avif({ quality: 50, effort: 0 }).toBuffer()],
    // Two frames of 48x16 each, for the animated renditions (lib/animation/).
    [
      'gen/frames.gif',
      sharp(rgba, pages)
        .gif({ delay: [40, 80], loop: 2 })
        .toBuffer(),
    ],
    [
      'gen/frames.webp',
      sharp(rgba, pages)
        .webp({ delay: [40, 80], quality: 60 })
        .toBuffer(),
    ],
  ];
  const made = await Promise.all(
    seeds.map(async ([name, bytes]) => ({ name, bytes: new Uint8Array(await bytes) })),
  );
  return [
    ...made,
    { name: 'gen/image.bmp', bytes: bmp(width, height, rgba) },
    // 32-bit with an alpha mask (lib/bmp): V4 header, top-down rows, a half-transparent strip.
    {
      name: 'gen/alpha32.bmp',
      bytes: bmp32({ width, height, rgba, headerSize: 108, topDown: true }),
    },
  ];
}

/** The seeds: small valid fixtures that exist on disk, then the generated ones. */
export async function loadSeeds(): Promise<Seed[]> {
  const fixtures = VALID_FIXTURES.filter(
    (f) => existsSync(f.path) && statSync(f.path).size <= MAX_SEED_BYTES,
  ).map((f) => ({ name: f.name, bytes: new Uint8Array(readFileSync(f.path)) }));
  return [...fixtures, ...(await generated())];
}
