/**
 * The fixtures index: every file under `fixtures/images/`, named once, with what a correct
 * reader must find in it (or the error it must raise). `scripts/make-fixtures.ts` generates
 * the files and checks them against this index with ImageMagick, so the two cannot drift.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ImageErrorCode } from '../lib/errors.js';
import type { ExifInfo, ImageFormat, ImageInfo } from '../lib/types.js';

/** Absolute path of `fixtures/images/`. */
export const FIXTURES_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'images',
);

/** A named colour of the test pictures, as a human would call it. */
export type ColourName = 'red' | 'green' | 'blue' | 'white' | 'black' | 'other';

/**
 * What the upright picture looks like, so tests can sample pixels and check orientation,
 * crop and colour handling:
 * - `quadrants`: red top-left, green top-right, blue bottom-left, white bottom-right;
 * - `thirds-across`: red, green, blue from left to right (the panorama);
 * - `thirds-down`: red, green, blue from top to bottom (the tall image);
 * - `photo`: photo-like content with no fixed colours.
 */
export type Layout = 'quadrants' | 'thirds-across' | 'thirds-down' | 'photo' | 'single-red';

/** One fixture and what a correct reader must find in it. */
export interface Fixture {
  /** Path relative to `fixtures/images/`, with `/` separators; also the CLI's relative name. */
  name: string;
  /** Absolute path on this machine. */
  path: string;
  /** Why the fixture exists. */
  description: string;
  /** The format detected from magic bytes; `undefined` when the bytes are not an image. */
  format: ImageFormat | undefined;
  /** Dimensions as stored (declared in the header), before EXIF orientation. */
  width: number;
  height: number;
  /** Dimensions after applying the EXIF orientation. */
  uprightWidth: number;
  uprightHeight: number;
  /** EXIF orientation 1-8 (1 when absent). */
  orientation: number;
  hasAlpha: boolean;
  animated: boolean;
  frameCount?: number;
  bitDepth?: number;
  colorSpace?: ImageInfo['colorSpace'];
  progressive?: boolean;
  /** The upright picture's layout (absent for invalid files). */
  layout?: Layout;
  /** Pixels that must be fully transparent in the upright picture: the named quadrant. */
  transparentQuadrant?: 'bottom-right';
  /** EXIF the metadata must report (normalised units). */
  exif?: ExifInfo;
  /** The error code processing must fail with; absent when processing must succeed. */
  errorCode?: ImageErrorCode;
}

type Entry = Omit<Fixture, 'path' | 'uprightWidth' | 'uprightHeight' | 'orientation'> &
  Partial<Pick<Fixture, 'orientation'>>;

function fixture(entry: Entry): Fixture {
  const orientation = entry.orientation ?? 1;
  const swapped = orientation >= 5;
  return {
    ...entry,
    orientation,
    path: path.join(FIXTURES_DIR, ...entry.name.split('/')),
    uprightWidth: swapped ? entry.height : entry.width,
    uprightHeight: swapped ? entry.width : entry.height,
  };
}

const jpeg = { format: 'jpeg', hasAlpha: false, animated: false, bitDepth: 8 } as const;
const quadrants = { layout: 'quadrants', width: 160, height: 120 } as const;

const ORIENTATION_MEANING = [
  '',
  'no transform',
  'mirror horizontally',
  'rotate 180°',
  'mirror vertically',
  'transpose (mirror + rotate 270° CW)',
  'rotate 90° CW',
  'transverse (mirror + rotate 90° CW)',
  'rotate 270° CW',
];

const orientations = [1, 2, 3, 4, 5, 6, 7, 8].map((orientation) =>
  fixture({
    ...jpeg,
    ...quadrants,
    name: `orientation/exif-${orientation}.jpg`,
    description: `EXIF orientation ${orientation} (${ORIENTATION_MEANING[orientation]}): stored pixels transformed so the tag makes them upright`,
    orientation,
    width: orientation >= 5 ? 120 : 160,
    height: orientation >= 5 ? 160 : 120,
    colorSpace: 'srgb',
  }),
);

/** Every fixture, valid ones first. */
export const FIXTURES: readonly Fixture[] = [
  ...orientations,
  fixture({
    ...jpeg,
    name: 'jpeg/camera-exif-gps.jpg',
    description:
      'camera EXIF (make, model, lens, time with offset, exposure) and GPS south/west (negative degrees)',
    layout: 'photo',
    width: 640,
    height: 480,
    colorSpace: 'srgb',
    exif: {
      make: 'Contoso',
      model: 'Fixture Cam 1',
      lens: 'Fixture 24-70mm F2.8',
      takenAt: '2024-06-01T14:30:05+02:00',
      exposureTime: 1 / 250,
      fNumber: 5.6,
      iso: 200,
      focalLength: 35,
      gps: { latitude: -22.9519, longitude: -43.2105, altitude: 700 },
    },
  }),
  fixture({
    ...jpeg,
    ...quadrants,
    name: 'jpeg/progressive.jpg',
    description: 'progressive (multi-scan) JPEG',
    colorSpace: 'srgb',
    progressive: true,
  }),
  fixture({
    ...jpeg,
    ...quadrants,
    name: 'jpeg/cmyk-adobe.jpg',
    description: 'CMYK JPEG, Adobe APP14 transform 0 (inverted CMYK as Photoshop writes it)',
    colorSpace: 'cmyk',
  }),
  fixture({
    ...jpeg,
    ...quadrants,
    name: 'jpeg/ycck-adobe.jpg',
    description: 'YCCK JPEG, Adobe APP14 transform 2',
    colorSpace: 'ycck',
  }),
  fixture({
    ...jpeg,
    ...quadrants,
    name: 'jpeg/icc-adobe-rgb.jpg',
    description:
      'pixels in Adobe RGB (1998) with the embedded profile: ignoring it gives a dull green (~144,255,60 vs 0,255,0)',
    colorSpace: 'rgb',
  }),
  fixture({
    ...jpeg,
    ...quadrants,
    name: 'jpeg/arithmetic.jpg',
    description: 'arithmetic-coded JPEG (cjpeg -arithmetic), which libjpeg-turbo decodes',
    colorSpace: 'srgb',
  }),
  fixture({
    ...jpeg,
    ...quadrants,
    name: 'jpeg/junk-before-marker.jpg',
    description:
      '16 junk bytes between APP0 and DQT (libjpeg warns "extraneous bytes" and decodes)',
    colorSpace: 'srgb',
  }),
  fixture({
    ...jpeg,
    ...quadrants,
    name: 'jpeg/bad-exif-segments.jpg',
    description: 'an APP1 "Exif" segment with a garbage TIFF header, then a repeated valid one',
    colorSpace: 'srgb',
  }),
  fixture({
    ...jpeg,
    ...quadrants,
    name: 'jpeg/gray.jpg',
    description: 'single-channel grayscale JPEG (colours become grays; layout by luminance)',
    layout: 'photo',
    colorSpace: 'gray',
  }),
  fixture({
    ...quadrants,
    name: 'png/alpha.png',
    description: 'RGBA PNG; the bottom-right quadrant is fully transparent',
    format: 'png',
    hasAlpha: true,
    animated: false,
    bitDepth: 8,
    transparentQuadrant: 'bottom-right',
  }),
  fixture({
    ...quadrants,
    name: 'png/rgb-16bit.png',
    description: '16 bits per channel RGB PNG',
    format: 'png',
    hasAlpha: false,
    animated: false,
    bitDepth: 16,
  }),
  fixture({
    ...quadrants,
    name: 'png/palette.png',
    description: 'palette (indexed colour) PNG',
    format: 'png',
    hasAlpha: false,
    animated: false,
    colorSpace: 'palette',
  }),
  fixture({
    ...quadrants,
    name: 'png/interlaced.png',
    description: 'Adam7-interlaced PNG',
    format: 'png',
    hasAlpha: false,
    animated: false,
    bitDepth: 8,
  }),
  fixture({
    ...quadrants,
    name: 'png/gray.png',
    description: 'grayscale PNG (colours become grays; layout by luminance)',
    layout: 'photo',
    format: 'png',
    hasAlpha: false,
    animated: false,
    bitDepth: 8,
    colorSpace: 'gray',
  }),
  fixture({
    ...quadrants,
    name: 'png/animated-apng.png',
    description: 'animated PNG (APNG, 2 frames); the first frame is the quadrants picture',
    format: 'png',
    hasAlpha: false,
    animated: true,
    frameCount: 2,
    bitDepth: 8,
  }),
  fixture({
    ...quadrants,
    name: 'other/animated.gif',
    description: 'animated GIF, 2 frames; the first frame is the quadrants picture',
    format: 'gif',
    hasAlpha: false,
    animated: true,
    frameCount: 2,
  }),
  fixture({
    ...quadrants,
    name: 'other/bmp.bmp',
    description: '24-bit Windows BMP',
    format: 'bmp',
    hasAlpha: false,
    animated: false,
    bitDepth: 8,
  }),
  fixture({
    ...quadrants,
    name: 'other/bmp-alpha.bmp',
    description:
      '32-bit BMP (V5 header, bit-field masks with alpha); the bottom-right quadrant is fully transparent',
    format: 'bmp',
    hasAlpha: true,
    animated: false,
    bitDepth: 8,
    transparentQuadrant: 'bottom-right',
  }),
  fixture({
    ...quadrants,
    name: 'other/tiff.tif',
    description: 'RGB TIFF, LZW-compressed',
    format: 'tiff',
    hasAlpha: false,
    animated: false,
    bitDepth: 8,
  }),
  fixture({
    ...quadrants,
    name: 'other/lossy.webp',
    description: 'lossy WebP',
    format: 'webp',
    hasAlpha: false,
    animated: false,
  }),
  fixture({
    ...quadrants,
    name: 'other/alpha.webp',
    description: 'lossless WebP with alpha; the bottom-right quadrant is fully transparent',
    format: 'webp',
    hasAlpha: true,
    animated: false,
    transparentQuadrant: 'bottom-right',
  }),
  fixture({
    ...quadrants,
    name: 'other/avif.avif',
    description: 'AVIF (AV1 still image)',
    format: 'avif',
    hasAlpha: false,
    animated: false,
  }),
  fixture({
    ...quadrants,
    name: 'heif/iphone-irot-exif6.heic',
    description:
      "HEIC in an iPhone's layout: pixels stored a quarter turn off, an irot property and EXIF Orientation 6 that each make them upright (applied once), camera EXIF with GPS",
    format: 'heif',
    width: 120,
    height: 160,
    orientation: 6,
    hasAlpha: false,
    animated: false,
    bitDepth: 8,
    colorSpace: 'srgb',
    exif: {
      make: 'Apple',
      model: 'iPhone layout (serverless-img fixture)',
      lens: 'iPhone back camera 4.2mm f/1.6',
      takenAt: '2024-07-14T09:41:00+01:00',
      exposureTime: 1 / 120,
      fNumber: 1.6,
      iso: 50,
      focalLength: 4.2,
      gps: { latitude: 48.8584, longitude: 2.2945, altitude: 35 },
    },
  }),
  fixture({
    ...quadrants,
    name: 'heif/plain-alpha.heif',
    description:
      'plain HEIF still (HEVC) with an alpha plane, no EXIF; the bottom-right quadrant is fully transparent',
    format: 'heif',
    hasAlpha: true,
    animated: false,
    transparentQuadrant: 'bottom-right',
  }),
  fixture({
    ...jpeg,
    name: 'size/panorama.jpg',
    description: 'a 6:1 panorama: red, green, blue thirds from left to right',
    layout: 'thirds-across',
    width: 2400,
    height: 400,
    colorSpace: 'srgb',
  }),
  fixture({
    ...jpeg,
    name: 'size/tall.jpg',
    description: 'a 1:6 tall image: red, green, blue thirds from top to bottom',
    layout: 'thirds-down',
    width: 400,
    height: 2400,
    colorSpace: 'srgb',
  }),
  fixture({
    name: 'size/tiny-1x1.png',
    description: 'a single red pixel',
    layout: 'single-red',
    format: 'png',
    width: 1,
    height: 1,
    hasAlpha: false,
    animated: false,
  }),
  fixture({
    ...jpeg,
    name: 'size/large-photo.jpg',
    description: 'a 12 MP photo-like JPEG (4000x3000)',
    layout: 'photo',
    width: 4000,
    height: 3000,
    colorSpace: 'srgb',
  }),
  fixture({
    ...jpeg,
    name: 'bad/truncated.jpg',
    description: 'a baseline JPEG cut off in the middle of its scan data',
    width: 640,
    height: 480,
    errorCode: 'CORRUPT_IMAGE',
  }),
  fixture({
    name: 'bad/empty.jpg',
    description: 'zero bytes',
    format: undefined,
    width: 0,
    height: 0,
    hasAlpha: false,
    animated: false,
    errorCode: 'EMPTY_INPUT',
  }),
  fixture({
    name: 'bad/not-an-image.jpg',
    description: 'a text file named .jpg',
    format: undefined,
    width: 0,
    height: 0,
    hasAlpha: false,
    animated: false,
    errorCode: 'UNSUPPORTED_FORMAT',
  }),
  fixture({
    name: 'bad/bomb.png',
    description:
      'a decompression bomb: a ~1 KB PNG whose header declares 30000x30000 (900 MP, 2.7 GB as RGB)',
    format: 'png',
    width: 30000,
    height: 30000,
    hasAlpha: false,
    animated: false,
    bitDepth: 8,
    errorCode: 'TOO_MANY_PIXELS',
  }),
];

/** The fixture called `name` (relative to `fixtures/images/`); throws when there is none. */
export function getFixture(name: string): Fixture {
  const found = FIXTURES.find((candidate) => candidate.name === name);
  if (found === undefined) throw new Error(`No fixture named ${name}`);
  return found;
}

/** Fixtures that must process successfully. */
export const VALID_FIXTURES: readonly Fixture[] = FIXTURES.filter((f) => !f.errorCode);

/** Fixtures that must fail, each with its error code. */
export const INVALID_FIXTURES: readonly Fixture[] = FIXTURES.filter((f) => f.errorCode);

/** Names a sampled RGB colour (generous thresholds: JPEG and colour conversions shift values). */
export function colourName([r, g, b]: readonly number[]): ColourName {
  const [red = 0, green = 0, blue = 0] = [r, g, b];
  if (red > 200 && green > 200 && blue > 200) return 'white';
  if (red < 60 && green < 60 && blue < 60) return 'black';
  if (red > 150 && green < 90 && blue < 90) return 'red';
  if (green > 120 && red < 90 && blue < 100) return 'green';
  if (blue > 100 && red < 90 && green < 90) return 'blue';
  return 'other';
}

/**
 * The colour a correct upright picture has at (`x`, `y`), given as fractions of its width and
 * height; `undefined` for layouts without fixed colours. Sample away from the boundaries.
 */
export function expectedColour(layout: Layout, x: number, y: number): ColourName | undefined {
  const third = (t: number): ColourName => (t < 1 / 3 ? 'red' : t < 2 / 3 ? 'green' : 'blue');
  switch (layout) {
    case 'quadrants':
      if (y < 0.5) return x < 0.5 ? 'red' : 'green';
      return x < 0.5 ? 'blue' : 'white';
    case 'thirds-across':
      return third(x);
    case 'thirds-down':
      return third(y);
    case 'single-red':
      return 'red';
    case 'photo':
      return undefined;
  }
}
