/**
 * Regenerates `fixtures/images/` (run with `npm run fixtures`), then checks every file against
 * the fixtures index in `test/fixtures.ts`. CI does not run this: the outputs are committed.
 *
 * Tools (Debian 12 packages):
 *   apt-get install -y imagemagick libimage-exiftool-perl libjpeg-turbo-progs webp libavif-bin \
 *     icc-profiles-free
 * - ImageMagick 6.9 `convert` / `identify` (set CONVERT / IDENTIFY to override the paths);
 * - exiftool (EXIF and GPS tags, orientation);
 * - libjpeg-turbo `cjpeg` (progressive and arithmetic-coded JPEG);
 * - `cwebp` (WebP), `avifenc` (AVIF);
 * - `/usr/share/color/icc/compatibleWithAdobeRGB1998.icc` and `sRGB.icc` from icc-profiles-free
 *   (zlib licence) for the JPEG with an embedded non-sRGB profile;
 * - sharp (a devDependency) writes the plain CMYK JPEG (ImageMagick 6 only writes YCCK).
 * The APNG and the decompression bomb are assembled byte by byte here (zlib + CRC-32).
 * - `heif-enc` (libheif-examples, with its x265 encoder) for the HEIF fixtures (heif-fixtures.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import {
  colourName,
  expectedColour,
  FIXTURES,
  FIXTURES_DIR,
  type Fixture,
} from '../test/fixtures.js';
import { makeHeifFixtures } from './heif-fixtures.js';

const CONVERT = process.env.CONVERT ?? '/usr/bin/convert';
const IDENTIFY = process.env.IDENTIFY ?? '/usr/bin/identify';
const ICC_DIR = '/usr/share/color/icc';

const work = mkdtempSync(path.join(tmpdir(), 'fixtures-'));
const tmp = (name: string): string => path.join(work, name);
const out = (name: string): string => {
  const target = path.join(FIXTURES_DIR, ...name.split('/'));
  mkdirSync(path.dirname(target), { recursive: true });
  return target;
};

function run(command: string, args: readonly string[]): Buffer {
  try {
    return execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`${command} ${args.join(' ')} failed: ${stderr}`, { cause: error });
  }
}
/** ImageMagick, told to leave out PNG time chunks so regenerating gives identical files. */
const convert = (...args: string[]): Buffer =>
  run(CONVERT, [...args.slice(0, -1), '-define', 'png:exclude-chunk=date,time', ...args.slice(-1)]);
const exiftool = (...args: string[]): Buffer =>
  run('exiftool', ['-q', '-q', '-overwrite_original', ...args]);

/** The orientation test picture: red, green / blue, white quadrants, upright, 160x120. */
function quadrantArgs(bottomRight = '#ffffff'): string[] {
  return [
    '-size',
    '80x60',
    'xc:#ff0000',
    'xc:#00ff00',
    '+append',
    '(',
    '-size',
    '80x60',
    'xc:#0000ff',
    `xc:${bottomRight}`,
    '+append',
    ')',
    '-append',
    '+repage',
  ];
}

/** Stored pixels for each orientation: the inverse of what a viewer applies for the tag. */
const STORE_FOR_ORIENTATION: Record<number, string[]> = {
  1: [],
  2: ['-flop'],
  3: ['-rotate', '180'],
  4: ['-flip'],
  5: ['-transpose'],
  6: ['-rotate', '-90'],
  7: ['-transverse'],
  8: ['-rotate', '90'],
};

function jpegSegments(bytes: Buffer): { marker: number; start: number; end: number }[] {
  const segments: { marker: number; start: number; end: number }[] = [];
  let offset = 2;
  while (offset < bytes.length && bytes[offset] === 0xff) {
    const marker = bytes[offset + 1] ?? 0;
    const length = bytes.readUInt16BE(offset + 2);
    segments.push({ marker, start: offset, end: offset + 2 + length });
    if (marker === 0xda) break;
    offset += 2 + length;
  }
  return segments;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function ihdr(width: number, height: number, bitDepth: number, colourType: number): Buffer {
  const data = Buffer.alloc(13);
  data.writeUInt32BE(width, 0);
  data.writeUInt32BE(height, 4);
  data.writeUInt8(bitDepth, 8);
  data.writeUInt8(colourType, 9);
  return pngChunk('IHDR', data);
}

/** Raw 8-bit RGB rows with filter byte 0, deflated: the payload of IDAT / fdAT. */
function deflateRgb(rgb: Buffer, width: number, height: number): Buffer {
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    rows.push(Buffer.from([0]), rgb.subarray(y * width * 3, (y + 1) * width * 3));
  }
  return deflateSync(Buffer.concat(rows), { level: 9 });
}

function fcTL(sequence: number, width: number, height: number): Buffer {
  const data = Buffer.alloc(26);
  data.writeUInt32BE(sequence, 0);
  data.writeUInt32BE(width, 4);
  data.writeUInt32BE(height, 8);
  data.writeUInt16BE(1, 20); // delay 1/2 s
  data.writeUInt16BE(2, 22);
  return pngChunk('fcTL', data);
}

function makeOrientations(): void {
  for (let orientation = 1; orientation <= 8; orientation++) {
    const target = out(`orientation/exif-${orientation}.jpg`);
    convert(
      ...quadrantArgs(),
      ...(STORE_FOR_ORIENTATION[orientation] ?? []),
      '-quality',
      '92',
      '-sampling-factor',
      '1x1',
      target,
    );
    exiftool(`-Orientation#=${orientation}`, '-Software=serverless-img fixtures', target);
  }
}

async function makeJpegs(): Promise<void> {
  convert(...quadrantArgs(), tmp('quadrants.png'));
  convert(...quadrantArgs(), tmp('quadrants.ppm'));
  convert(...quadrantArgs(), '-rotate', '180', tmp('quadrants-180.png'));

  const camera = out('jpeg/camera-exif-gps.jpg');
  convert('-size', '640x480', '-seed', '11', 'plasma:', '-blur', '0x0.6', '-quality', '85', camera);
  exiftool(
    '-Make=Contoso',
    '-Model=Fixture Cam 1',
    '-LensModel=Fixture 24-70mm F2.8',
    '-DateTimeOriginal=2024:06:01 14:30:05',
    '-OffsetTimeOriginal=+02:00',
    '-ExposureTime=1/250',
    '-FNumber=5.6',
    '-ISO=200',
    '-FocalLength=35',
    '-GPSLatitude=22.9519',
    '-GPSLatitudeRef=S',
    '-GPSLongitude=43.2105',
    '-GPSLongitudeRef=W',
    '-GPSAltitude=700',
    '-GPSAltitudeRef=0',
    '-Orientation#=1',
    camera,
  );

  const cjpeg = (flags: string[], name: string): void => {
    run('cjpeg', ['-quality', '90', ...flags, '-outfile', out(name), tmp('quadrants.ppm')]);
  };
  cjpeg(['-progressive'], 'jpeg/progressive.jpg');
  cjpeg(['-arithmetic'], 'jpeg/arithmetic.jpg');

  // Plain CMYK (Adobe transform 0) through libvips; ImageMagick 6 always writes YCCK.
  convert(...quadrantArgs(), '-colorspace', 'CMYK', tmp('quadrants-cmyk.tif'));
  await sharp(tmp('quadrants-cmyk.tif'))
    .pipelineColourspace('cmyk')
    .toColourspace('cmyk')
    .jpeg({ quality: 90 })
    .toFile(out('jpeg/cmyk-adobe.jpg'));
  convert(...quadrantArgs(), '-colorspace', 'CMYK', '-quality', '90', out('jpeg/ycck-adobe.jpg'));

  convert(
    ...quadrantArgs(),
    '-profile',
    path.join(ICC_DIR, 'sRGB.icc'),
    '-profile',
    path.join(ICC_DIR, 'compatibleWithAdobeRGB1998.icc'),
    '-quality',
    '92',
    out('jpeg/icc-adobe-rgb.jpg'),
  );

  convert(...quadrantArgs(), '-colorspace', 'Gray', '-quality', '90', out('jpeg/gray.jpg'));

  // Junk bytes (no 0xFF among them) between APP0 and the first DQT.
  convert(...quadrantArgs(), '-quality', '90', tmp('baseline.jpg'));
  const baseline = readFileSync(tmp('baseline.jpg'));
  const dqt = jpegSegments(baseline).find((segment) => segment.marker === 0xdb);
  if (dqt === undefined) throw new Error('baseline JPEG has no DQT');
  writeFileSync(
    out('jpeg/junk-before-marker.jpg'),
    Buffer.concat([
      baseline.subarray(0, dqt.start),
      Buffer.from('JUNK'.repeat(4), 'latin1'),
      baseline.subarray(dqt.start),
    ]),
  );

  // A garbage "Exif" APP1, then the same valid APP1 twice.
  writeFileSync(tmp('with-exif.jpg'), baseline);
  exiftool('-Orientation#=1', '-Make=Contoso', tmp('with-exif.jpg'));
  const withExif = readFileSync(tmp('with-exif.jpg'));
  const app1 = jpegSegments(withExif).find((segment) => segment.marker === 0xe1);
  if (app1 === undefined) throw new Error('exiftool wrote no APP1');
  const validApp1 = withExif.subarray(app1.start, app1.end);
  const garbage = Buffer.concat([
    Buffer.from('Exif\0\0', 'latin1'),
    Buffer.from('QQ\x00\x2a\x7f\x7f\x7f\x7f', 'latin1'),
    Buffer.alloc(24, 0x5a),
  ]);
  const badApp1 = Buffer.concat([Buffer.from([0xff, 0xe1, 0, garbage.length + 2]), garbage]);
  const afterSoi = jpegSegments(baseline)[0]?.start ?? 2;
  writeFileSync(
    out('jpeg/bad-exif-segments.jpg'),
    Buffer.concat([
      baseline.subarray(0, afterSoi),
      badApp1,
      validApp1,
      validApp1,
      baseline.subarray(afterSoi),
    ]),
  );
}

function makePngsAndOthers(): void {
  convert(...quadrantArgs('none'), 'PNG32:' + out('png/alpha.png'));
  convert(...quadrantArgs(), '-depth', '16', 'PNG48:' + out('png/rgb-16bit.png'));
  convert(...quadrantArgs(), 'PNG8:' + out('png/palette.png'));
  convert(...quadrantArgs(), '-interlace', 'PNG', 'PNG24:' + out('png/interlaced.png'));
  convert(
    ...quadrantArgs(),
    '-colorspace',
    'Gray',
    '-depth',
    '8',
    '-define',
    'png:color-type=0',
    'PNG:' + out('png/gray.png'),
  );

  // APNG: frame 1 is the quadrants (also the default image), frame 2 the same turned 180°.
  const first = convert(tmp('quadrants.png'), '-depth', '8', 'rgb:-');
  const second = convert(tmp('quadrants-180.png'), '-depth', '8', 'rgb:-');
  const actl = Buffer.alloc(8);
  actl.writeUInt32BE(2, 0);
  const secondData = deflateRgb(second, 160, 120);
  const fdatSequence = Buffer.alloc(4);
  fdatSequence.writeUInt32BE(2);
  writeFileSync(
    out('png/animated-apng.png'),
    Buffer.concat([
      PNG_SIGNATURE,
      ihdr(160, 120, 8, 2),
      pngChunk('acTL', actl),
      fcTL(0, 160, 120),
      pngChunk('IDAT', deflateRgb(first, 160, 120)),
      fcTL(1, 160, 120),
      pngChunk('fdAT', Buffer.concat([fdatSequence, secondData])),
      pngChunk('IEND', Buffer.alloc(0)),
    ]),
  );

  convert(
    '-delay',
    '50',
    tmp('quadrants.png'),
    tmp('quadrants-180.png'),
    '-loop',
    '0',
    out('other/animated.gif'),
  );
  convert(...quadrantArgs(), 'BMP3:' + out('other/bmp.bmp'));
  // ImageMagick writes a V5 header with BI_BITFIELDS and an alpha mask for an image with alpha.
  convert(...quadrantArgs('none'), 'BMP:' + out('other/bmp-alpha.bmp'));
  convert(...quadrantArgs(), '-depth', '8', '-compress', 'LZW', out('other/tiff.tif'));
  run('cwebp', ['-quiet', '-q', '85', tmp('quadrants.png'), '-o', out('other/lossy.webp')]);
  run('cwebp', ['-quiet', '-lossless', out('png/alpha.png'), '-o', out('other/alpha.webp')]);
  run('avifenc', [
    '-s',
    '8',
    '--min',
    '10',
    '--max',
    '20',
    tmp('quadrants.png'),
    out('other/avif.avif'),
  ]);
}

function makeSizes(): void {
  convert(
    '-size',
    '800x400',
    'xc:#ff0000',
    'xc:#00ff00',
    'xc:#0000ff',
    '+append',
    '-quality',
    '90',
    out('size/panorama.jpg'),
  );
  convert(
    '-size',
    '400x800',
    'xc:#ff0000',
    'xc:#00ff00',
    'xc:#0000ff',
    '-append',
    '-quality',
    '90',
    out('size/tall.jpg'),
  );
  convert('-size', '1x1', 'xc:#ff0000', 'PNG24:' + out('size/tiny-1x1.png'));
  convert(
    '-size',
    '4000x3000',
    '-seed',
    '5',
    'plasma:',
    '-blur',
    '0x2',
    '-fill',
    'none',
    '-stroke',
    '#202020',
    '-strokewidth',
    '12',
    '-draw',
    'circle 2000,1500 2000,2400',
    '-draw',
    'rectangle 300,300 1400,1000',
    '-quality',
    '70',
    out('size/large-photo.jpg'),
  );
}

function makeBad(): void {
  convert('-size', '640x480', '-seed', '3', 'plasma:', '-quality', '85', tmp('whole.jpg'));
  const whole = readFileSync(tmp('whole.jpg'));
  writeFileSync(out('bad/truncated.jpg'), whole.subarray(0, Math.floor(whole.length / 2)));
  writeFileSync(out('bad/empty.jpg'), Buffer.alloc(0));
  writeFileSync(
    out('bad/not-an-image.jpg'),
    'This is a text file, not a JPEG, whatever its name says.\n',
  );
  // 30000x30000 RGB declared; IDAT holds 16 zero rows only: ~1.5 KB on disk, 2.7 GB decoded.
  const rows = deflateSync(Buffer.alloc(16 * (1 + 30000 * 3)), { level: 9 });
  writeFileSync(
    out('bad/bomb.png'),
    Buffer.concat([
      PNG_SIGNATURE,
      ihdr(30000, 30000, 8, 2),
      pngChunk('IDAT', rows),
      pngChunk('IEND', Buffer.alloc(0)),
    ]),
  );
}

const IM_FORMATS: Record<string, string> = {
  JPEG: 'jpeg',
  PNG: 'png',
  GIF: 'gif',
  BMP: 'bmp',
  BMP3: 'bmp',
  TIFF: 'tiff',
  WEBP: 'webp',
  AVIF: 'avif',
  HEIC: 'avif',
};

/** Checks a generated file against its index entry with ImageMagick; returns the problems. */
function verify(fixture: Fixture): string[] {
  const problems: string[] = [];
  const size = readFileSync(fixture.path).length;
  if (fixture.format === undefined || fixture.errorCode === 'CORRUPT_IMAGE') return problems;
  // ImageMagick 6.9 reads no HEIF: test/lib/fixtures.test.ts checks those pixels through libheif.
  if (fixture.format === 'heif') return problems;
  if (fixture.errorCode === 'TOO_MANY_PIXELS') {
    // ImageMagick's resource policy refuses to even ping it: read the PNG header directly.
    const header = readFileSync(fixture.path).subarray(16, 24);
    const declared = `${header.readUInt32BE(0)}x${header.readUInt32BE(4)}`;
    if (declared !== `${fixture.width}x${fixture.height}`) problems.push(`declares ${declared}`);
    return problems;
  }
  const [format = '', width = '', height = '', depth = ''] = run(IDENTIFY, [
    '-ping',
    '-format',
    '%m %w %h %z\n',
    `${fixture.path}[0]`,
  ])
    .toString()
    .trim()
    .split(' ');
  if (IM_FORMATS[format] !== fixture.format) problems.push(`format ${format}`);
  if (Number(width) !== fixture.width || Number(height) !== fixture.height) {
    problems.push(`stored size ${width}x${height}`);
  }
  if (fixture.bitDepth !== undefined && Number(depth) !== fixture.bitDepth) {
    problems.push(`bit depth ${depth}`);
  }
  if (fixture.errorCode !== undefined) return problems;
  if (size > 1_100_000) problems.push(`${size} bytes is too big for a fixture`);

  const profile =
    fixture.colorSpace === 'rgb' ? ['-profile', path.join(ICC_DIR, 'sRGB.icc')] : ([] as string[]);
  const rgba = convert(
    `${fixture.path}[0]`,
    '-auto-orient',
    ...profile,
    '-colorspace',
    'sRGB',
    '-alpha',
    'on',
    '-depth',
    '8',
    'rgba:-',
  );
  const { uprightWidth: w, uprightHeight: h } = fixture;
  if (rgba.length !== w * h * 4) problems.push(`upright size is not ${w}x${h}`);
  const layout = fixture.layout ?? 'photo';
  const steps = layout === 'quadrants' ? [0.25, 0.75] : [0.17, 0.5, 0.83];
  for (const [fx, fy] of steps.flatMap((x) => steps.map((y) => [x, y] as const))) {
    const expected = expectedColour(layout, fx, fy);
    const offset = (Math.floor(fy * h) * w + Math.floor(fx * w)) * 4;
    const pixel = [...rgba.subarray(offset, offset + 4)];
    const transparent = fixture.transparentQuadrant === 'bottom-right' && fx >= 0.5 && fy >= 0.5;
    if (transparent) {
      if (pixel[3] !== 0) problems.push(`alpha ${pixel[3]} at ${fx},${fy}`);
    } else if (expected !== undefined && colourName(pixel) !== expected) {
      problems.push(`${pixel.join(',')} at ${fx},${fy} is not ${expected}`);
    }
  }
  if (fixture.orientation !== 1 || fixture.name.startsWith('jpeg/camera')) {
    const tag = run('exiftool', ['-s3', '-n', '-Orientation', fixture.path]).toString().trim();
    if (Number(tag) !== fixture.orientation) problems.push(`orientation tag ${tag}`);
  }
  return problems;
}

async function main(): Promise<void> {
  rmSync(FIXTURES_DIR, { recursive: true, force: true });
  makeOrientations();
  await makeJpegs();
  makePngsAndOthers();
  makeSizes();
  makeBad();
  await makeHeifFixtures({ out, tmp, run, exiftool });
  rmSync(work, { recursive: true, force: true });

  let failed = 0;
  let total = 0;
  for (const fixture of FIXTURES) {
    const problems = verify(fixture);
    const bytes = readFileSync(fixture.path).length;
    total += bytes;
    console.log(`${problems.length ? 'FAIL' : 'ok  '} ${fixture.name} (${bytes} B)`);
    for (const problem of problems) console.log(`       ${problem}`);
    if (problems.length) failed++;
  }
  console.log(`${FIXTURES.length} fixtures, ${(total / 1024).toFixed(0)} KiB in total`);
  if (failed) {
    console.error(`${failed} fixtures do not match test/fixtures.ts`);
    process.exitCode = 1;
  }
}

await main();
