/**
 * The bounded parts of TIFF reading, in front of utif2 (which decodes the pixels): the first
 * image directory (IFD) and the IFD chain, read with the shared IFD reader (tiff-ifd.ts), and
 * our own LZW decoder.
 * utif2's directory reader follows a cyclic IFD chain forever and trusts value counts, and its
 * LZW decoder chases codes past its table forever on damaged strips; here every loop is bounded
 * by the file or the declared strip size, and damage is a CorruptImageError.
 */
import { CorruptImageError } from './errors.js';
import { decodeLzw } from './lzw.js';
import {
  readTiffHeader,
  readTiffIfd,
  tiffEntries,
  type TiffHeader,
  type TiffIfd,
} from './tiff-ifd.js';

/** A directory as utif2 keeps it: `t<tag>` to the tag's values. */
export type TiffDirectory = Record<string, unknown>;

/** The tags utif2's decodeImage and toRGBA8 read; others are not parsed at all. */
const USED_TAGS = new Set([
  2, 3, 10, 45, 256, 257, 258, 259, 262, 266, 271, 272, 273, 277, 278, 279, 284, 292, 317, 320, 322,
  323, 324, 325, 338, 339, 347, 513, 514, 515, 519, 530, 33422, 50885,
]);

/** Directories counted at most (real files have a handful). */
const MAX_DIRECTORIES = 4096;

/** Reads a TIFF's first directory and counts the directories of its main chain. */
export function readTiffDirectories(
  bytes: Uint8Array,
  name: string,
): { first: TiffDirectory; count: number } {
  const header = readTiffHeader(bytes);
  if (!header) throw new CorruptImageError(name, 'TIFF header ends early');
  let offset = header.firstIfd;
  let first: TiffDirectory | undefined;
  let count = 0;
  const seen = new Set<number>();
  // The first directory must be sound; a later one that loops back, lies outside the file or
  // is cut short ends the count (the picture is in the first).
  while (offset !== 0 && !seen.has(offset) && seen.size < MAX_DIRECTORIES) {
    seen.add(offset);
    const ifd = readTiffIfd(header, offset);
    if (!ifd?.complete || ifd.next === undefined) {
      if (first === undefined)
        throw new CorruptImageError(name, 'TIFF first directory lies outside the file');
      break;
    }
    first ??= readDirectory(bytes, header, ifd);
    count += 1;
    offset = ifd.next;
  }
  if (!first) throw new CorruptImageError(name, 'TIFF without an image directory');
  return { first, count };
}

function readDirectory(bytes: Uint8Array, header: TiffHeader, ifd: TiffIfd): TiffDirectory {
  const directory: TiffDirectory = {};
  for (const { tag, type, count, size, valueOffset } of tiffEntries(header, ifd)) {
    if (!USED_TAGS.has(tag) || size === undefined || valueOffset === undefined) continue;
    // A value outside the file is left out; a missing required tag fails later, by name.
    if (size > bytes.length || valueOffset + size > bytes.length) continue;
    directory[`t${tag}`] = readValues(bytes, header.view, header.little, type, valueOffset, count);
  }
  return directory;
}

function readValues(
  bytes: Uint8Array,
  view: DataView,
  little: boolean,
  type: number,
  at: number,
  number: number,
): unknown {
  if (type === 1 || type === 7) return bytes.slice(at, at + number);
  if (type === 2) {
    const text = bytes.subarray(at, at + number);
    const end = text.indexOf(0);
    return [String.fromCharCode(...text.subarray(0, end < 0 ? text.length : end))];
  }
  const values: unknown[] = [];
  for (let j = 0; j < number; j++) {
    if (type === 3) values.push(view.getUint16(at + j * 2, little));
    else if (type === 4 || type === 13) values.push(view.getUint32(at + j * 4, little));
    else if (type === 5) {
      values.push([view.getUint32(at + j * 8, little), view.getUint32(at + j * 8 + 4, little)]);
    } else if (type === 10) {
      values.push([view.getInt32(at + j * 8, little), view.getInt32(at + j * 8 + 4, little)]);
    } else if (type === 6) values.push(view.getInt8(at + j));
    else if (type === 8) values.push(view.getInt16(at + j * 2, little));
    else if (type === 9) values.push(view.getInt32(at + j * 4, little));
    else if (type === 11) values.push(view.getFloat32(at + j * 4, little));
    else values.push(view.getFloat64(at + j * 8, little));
  }
  return values;
}

/**
 * Decodes one LZW strip or tile (TIFF flavour: codes most significant bit first, widths growing
 * one code early) into at most `capacity` bytes. Fails on a code not in the table and when the
 * data ends before `expected` bytes came out. Work is bounded by the data and the capacity.
 */
export function decodeTiffLzw(
  data: Uint8Array,
  expected: number,
  capacity: number,
  name: string,
): Uint8Array {
  const strings = decodeLzw(data, { format: 'TIFF', rootBits: 8, tiff: true }, capacity, name);
  if (strings.out < expected) {
    throw new CorruptImageError(
      name,
      `TIFF LZW data ends after ${strings.out} of a strip's ${expected} bytes`,
    );
  }
  return strings.output.subarray(0, expected);
}

/**
 * For an LZW-compressed directory, decodes every strip or tile with `decodeTiffLzw` and returns
 * the bytes and a copy of the directory describing them uncompressed (compression 1), for utif2
 * to finish (predictor, colour conversion). Other compressions are returned unchanged.
 */
export function decompressLzwStrips(
  bytes: Uint8Array,
  directory: TiffDirectory,
  name: string,
): { bytes: Uint8Array; directory: TiffDirectory } {
  const number = (tag: number, fallback: number) =>
    ((directory[`t${tag}`] as number[] | undefined)?.[0] ?? fallback) as number;
  if (number(259, 1) !== 5) return { bytes, directory };
  const width = number(256, 0);
  const height = number(257, 0);
  const bitsPerPixel = number(258, 1) * number(277, 1);
  const tiled = directory['t322'] !== undefined;
  const offsets = directory[tiled ? 't324' : 't273'] as number[] | undefined;
  const counts = directory[tiled ? 't325' : 't279'] as number[] | undefined;
  if (!offsets || !counts || offsets.length !== counts.length || !(width > 0 && height > 0)) {
    throw new CorruptImageError(name, 'TIFF strips or tiles do not match its size');
  }
  if (number(284, 1) === 2 && number(277, 1) > 1) {
    throw new CorruptImageError(name, 'LZW TIFF with separate colour planes is not read');
  }
  const pieces: { expected: number; capacity: number }[] = [];
  if (tiled) {
    const tileWidth = number(322, 0);
    const tileHeight = number(323, 0);
    const tileBytes = Math.ceil((tileWidth * bitsPerPixel) / 8) * tileHeight;
    const tiles = Math.ceil(width / tileWidth) * Math.ceil(height / tileHeight);
    if (!(tileBytes > 0) || offsets.length < tiles)
      throw new CorruptImageError(name, 'TIFF tiles do not cover the image');
    for (let i = 0; i < tiles; i++) pieces.push({ expected: tileBytes, capacity: tileBytes });
  } else {
    const rowBytes = Math.ceil((width * bitsPerPixel) / 8);
    const rowsPerStrip = Math.min(number(278, height), height);
    const strips = Math.ceil(height / rowsPerStrip);
    if (!(rowsPerStrip > 0) || offsets.length < strips)
      throw new CorruptImageError(name, 'TIFF strips do not cover the image');
    for (let i = 0; i < strips; i++) {
      const rows = Math.min(rowsPerStrip, height - i * rowsPerStrip);
      // The last strip may be written full height: its extra rows are decoded and dropped.
      pieces.push({ expected: rows * rowBytes, capacity: rowsPerStrip * rowBytes });
    }
  }
  const total = pieces.reduce((sum, piece) => sum + piece.expected, 0);
  const raw = new Uint8Array(total);
  const rawOffsets: number[] = [];
  let at = 0;
  pieces.forEach((piece, i) => {
    const start = offsets[i]!;
    const data = bytes.subarray(start, start + counts[i]!);
    raw.set(decodeTiffLzw(data, piece.expected, piece.capacity, name), at);
    rawOffsets.push(at);
    at += piece.expected;
  });
  return {
    bytes: raw,
    directory: {
      ...directory,
      t259: [1],
      [tiled ? 't324' : 't273']: rawOffsets,
      [tiled ? 't325' : 't279']: pieces.map((piece) => piece.expected),
    },
  };
}
