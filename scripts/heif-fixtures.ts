/**
 * The HEIF fixtures, made here (no phone photo with a licence to keep could be had): libheif's
 * `heif-enc` (Debian 12 `libheif-examples`, x265 encoder) encodes the pictures, exiftool writes
 * the camera EXIF, and `addRotation` gives the iPhone layout an `irot` property, which heif-enc
 * 1.15 does not write: an iPhone stores the sensor's pixels, rotates them with `irot` and keeps
 * the EXIF Orientation tag that says the same thing, so a reader that applies both turns the
 * picture twice. fixtures/images/heif/README.md says the same for readers of the folder.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { boxes, type Box } from '../lib/heif.js';

function only(bytes: Uint8Array, from: number, to: number, type: string): Box {
  const found = [...boxes(bytes, from, to)].find((box) => box.type === type);
  if (!found) throw new Error(`no ${type} box`);
  return found;
}

/** Adds `delta` to the big-endian 4-byte size of the box at `offset`. */
function grow(view: DataView, offset: number, delta: number): void {
  view.setUint32(offset, view.getUint32(offset) + delta);
}

/** Adds `delta` to every file offset in `iloc` (construction method 0), as heif-enc writes it. */
function shiftItemOffsets(bytes: Uint8Array, iloc: Box, delta: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = bytes[iloc.start]!;
  const sizes = view.getUint16(iloc.start + 4);
  const [offsetSize, lengthSize, baseSize] = [sizes >> 12, (sizes >> 8) & 15, (sizes >> 4) & 15];
  const indexSize = version >= 1 ? sizes & 15 : 0;
  if (version > 1 || offsetSize !== 4 || ![0, 4].includes(baseSize)) {
    throw new Error('iloc layout this script does not patch');
  }
  let at = iloc.start + 8;
  for (let count = view.getUint16(iloc.start + 6); count > 0; count--) {
    const method = version === 1 ? view.getUint16(at + 2) & 15 : 0;
    at += version === 1 ? 6 : 4;
    if (baseSize === 4 && method === 0) grow(view, at, delta);
    at += baseSize;
    for (let extents = view.getUint16((at += 2) - 2); extents > 0; extents--) {
      at += indexSize;
      if (baseSize === 0 && method === 0) grow(view, at, delta);
      at += offsetSize + lengthSize;
    }
  }
}

/**
 * Returns the file with an `irot` property (`turns` quarter turns anti-clockwise, marked
 * essential) appended to `ipco` and associated with item `item` in `ipma`; the boxes that hold
 * them grow, and the item offsets past them move.
 */
export function addRotation(input: Uint8Array, item: number, turns: number): Uint8Array {
  const bytes = new Uint8Array(input);
  const meta = only(bytes, 0, bytes.length, 'meta');
  const iprp = only(bytes, meta.start + 4, meta.end, 'iprp');
  const ipco = only(bytes, iprp.start, iprp.end, 'ipco');
  const ipma = only(bytes, iprp.start, iprp.end, 'ipma');
  const view = new DataView(bytes.buffer);
  if (bytes[ipma.start] !== 0 || (bytes[ipma.start + 3]! & 1) !== 0) {
    throw new Error('ipma layout this script does not patch');
  }
  const index = [...boxes(bytes, ipco.start, ipco.end)].length + 1;
  // The primary item's entry in ipma: its association count, and where its list ends.
  let at = ipma.start + 8;
  let countAt = -1;
  for (let entries = view.getUint32(ipma.start + 4); entries > 0; entries--) {
    const id = view.getUint16(at);
    const count = bytes[at + 2]!;
    if (id === item) countAt = at + 2;
    at += 3 + count;
    if (id === item) break;
  }
  if (countAt < 0) throw new Error(`item ${item} has no properties`);
  const irot = Uint8Array.from([0, 0, 0, 9, 0x69, 0x72, 0x6f, 0x74, turns & 3]);
  shiftItemOffsets(bytes, only(bytes, meta.start + 4, meta.end, 'iloc'), irot.length + 1);
  bytes[countAt] = bytes[countAt]! + 1;
  grow(view, ipma.offset, 1);
  grow(view, ipco.offset, irot.length);
  grow(view, iprp.offset, irot.length + 1);
  grow(view, meta.offset, irot.length + 1);
  const association = Uint8Array.from([0x80 | index]);
  return Uint8Array.from([
    ...bytes.subarray(0, ipco.end),
    ...irot,
    ...bytes.subarray(ipco.end, at),
    ...association,
    ...bytes.subarray(at),
  ]);
}

/** The quadrants picture (red, green / blue, white), upright, `width` x `height`, as RGBA. */
function quadrants(width: number, height: number, clearBottomRight: boolean): Buffer {
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [right, bottom] = [x >= width / 2, y >= height / 2];
      const colour = bottom
        ? right
          ? [255, 255, 255]
          : [0, 0, 255]
        : right
          ? [0, 255, 0]
          : [255, 0, 0];
      rgba.set([...colour, clearBottomRight && right && bottom ? 0 : 255], (y * width + x) * 4);
    }
  }
  return rgba;
}

/** What makeHeifFixtures needs from make-fixtures.ts. */
export interface FixtureTools {
  /** The path a fixture is written to (its folder made). */
  out: (name: string) => string;
  /** A path in the scratch folder. */
  tmp: (name: string) => string;
  run: (command: string, args: readonly string[]) => Buffer;
  exiftool: (...args: string[]) => Buffer;
}

/**
 * `heif/iphone-irot-exif6.heic`: the iPhone layout. The quadrants stored a quarter turn
 * anti-clockwise (120x160), an `irot` of three quarter turns anti-clockwise that makes them
 * upright, the EXIF Orientation 6 that says the same, and camera EXIF with GPS.
 * `heif/plain-alpha.heif`: a plain HEIF still, the quadrants with the bottom-right one
 * transparent (an alpha auxiliary image), no EXIF.
 */
export async function makeHeifFixtures(tools: FixtureTools): Promise<void> {
  const sharp = (await import('sharp')).default;
  const raw = (width: number, height: number) => ({ raw: { width, height, channels: 4 as const } });
  await sharp(quadrants(160, 120, false), raw(160, 120))
    .rotate(270)
    .jpeg({ quality: 95, chromaSubsampling: '4:4:4' })
    .toFile(tools.tmp('stored-6.jpg'));
  tools.exiftool(
    '-Orientation#=6',
    '-Make=Apple',
    '-Model=iPhone layout (serverless-img fixture)',
    '-LensModel=iPhone back camera 4.2mm f/1.6',
    '-DateTimeOriginal=2024:07:14 09:41:00',
    '-OffsetTimeOriginal=+01:00',
    '-ExposureTime=1/120',
    '-FNumber=1.6',
    '-ISO=50',
    '-FocalLength=4.2',
    '-GPSLatitude=48.8584',
    '-GPSLatitudeRef=N',
    '-GPSLongitude=2.2945',
    '-GPSLongitudeRef=E',
    '-GPSAltitude=35',
    '-GPSAltitudeRef=0',
    '-Software=serverless-img fixtures',
    tools.tmp('stored-6.jpg'),
  );
  tools.run('heif-enc', ['-q', '90', tools.tmp('stored-6.jpg'), '-o', tools.tmp('stored-6.heic')]);
  const rotated = addRotation(new Uint8Array(readFileSync(tools.tmp('stored-6.heic'))), 1, 3);
  writeFileSync(tools.out('heif/iphone-irot-exif6.heic'), rotated);
  await sharp(quadrants(160, 120, true), raw(160, 120))
    .png()
    .toFile(tools.tmp('alpha.png'));
  tools.run('heif-enc', [
    '-q',
    '90',
    tools.tmp('alpha.png'),
    '-o',
    tools.out('heif/plain-alpha.heif'),
  ]);
}
