/**
 * The guard stage: read the declared width and height from the header of every format, and refuse
 * inputs over the byte or pixel limits before any bitmap is allocated. A decompression bomb
 * (a tiny file declaring a huge size) fails here in microseconds.
 */
import {
  CorruptImageError,
  TooLargeError,
  TooManyPixelsError,
  UnsupportedFormatError,
} from './errors.js';
import { readGifStructure } from './gif.js';
import { HeifContainerError, readHeifContainer } from './heif.js';
import { readJpegMarkers, type JpegMarkers, type JpegWalkEnd } from './jpeg/markers.js';
import type { ProcessOptions } from './options.js';
import { checkPngCriticalCrcs, pngChunks } from './png-chunks.js';
import { readTiffHeader, readTiffIfd, tiffEntries } from './tiff-ifd.js';
import type { ImageFormat } from './types.js';

/** Width and height as the header declares them (before EXIF orientation). */
export interface Dimensions {
  width: number;
  height: number;
}

/** What the JPEG frame header (SOFn) says. */
export interface JpegHeader extends Dimensions {
  /** 1 gray, 3 YCbCr/RGB, 4 CMYK/YCCK. */
  components: number;
  /** Bits per sample: 8 for nearly every file, 12 for some medical and raw exports. */
  precision: number;
  progressive: boolean;
  arithmetic: boolean;
  lossless: boolean;
  /** Adobe APP14 transform: 0 none (RGB/CMYK), 1 YCbCr, 2 YCCK; undefined without APP14. */
  adobeTransform?: number;
}

/** Thrown by the header readers; `detail` says what was wrong. */
class HeaderError extends Error {}

function u16be(bytes: Uint8Array, offset: number): number {
  if (offset + 2 > bytes.length) throw new HeaderError('header ends early');
  return (bytes[offset]! << 8) | bytes[offset + 1]!;
}
function u32be(bytes: Uint8Array, offset: number): number {
  if (offset + 4 > bytes.length) throw new HeaderError('header ends early');
  return (
    ((bytes[offset]! << 24) |
      (bytes[offset + 1]! << 16) |
      (bytes[offset + 2]! << 8) |
      bytes[offset + 3]!) >>>
    0
  );
}
function u16le(bytes: Uint8Array, offset: number): number {
  if (offset + 2 > bytes.length) throw new HeaderError('header ends early');
  return bytes[offset]! | (bytes[offset + 1]! << 8);
}
function u24le(bytes: Uint8Array, offset: number): number {
  if (offset + 3 > bytes.length) throw new HeaderError('header ends early');
  return bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16);
}
function i32le(bytes: Uint8Array, offset: number): number {
  if (offset + 4 > bytes.length) throw new HeaderError('header ends early');
  return (
    bytes[offset]! |
    (bytes[offset + 1]! << 8) |
    (bytes[offset + 2]! << 16) |
    (bytes[offset + 3]! << 24)
  );
}
function fourcc(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + 4));
}

/** readJpegHeader's message for each way the marker walk can stop before a frame header. */
const JPEG_WALK_FAILURE: Record<JpegWalkEnd, string> = {
  end: 'no frame header (SOF) found',
  truncated: 'header ends early',
  'bad-length': 'bad segment length',
};

const SOF_MARKERS = new Set([
  0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf,
]);

/**
 * The frame header (SOFn) among the marker segments of `bytes`; fails when the stream ends or
 * scan data starts before a frame header.
 */
function parseJpegHeader(bytes: Uint8Array, markers: JpegMarkers): JpegHeader {
  let adobeTransform: number | undefined;
  for (const { marker, offset, length, body } of markers.segments) {
    if (marker === 0xd9 || marker === 0xda)
      throw new HeaderError('no frame header before the image data');
    if (marker === 0xee && length >= 14 && fourcc(body, 0) === 'Adob') adobeTransform = body[11];
    if (SOF_MARKERS.has(marker)) {
      // Read from `bytes`, not `body`: an understated SOF length is tolerated, as it always was.
      const at = offset + 4;
      const precision = bytes[at];
      const height = u16be(bytes, at + 1);
      const width = u16be(bytes, at + 3);
      const components = bytes[at + 5];
      if (precision === undefined || components === undefined)
        throw new HeaderError('header ends early');
      return {
        width,
        height,
        components,
        precision,
        progressive: marker === 0xc2 || marker === 0xc6 || marker === 0xca || marker === 0xce,
        arithmetic: marker >= 0xc9,
        lossless: marker === 0xc3 || marker === 0xc7 || marker === 0xcb || marker === 0xcf,
        ...(adobeTransform === undefined ? {} : { adobeTransform }),
      };
    }
  }
  throw new HeaderError(JPEG_WALK_FAILURE[markers.end]);
}

function readPng(bytes: Uint8Array): Dimensions {
  if (fourcc(bytes, 12) !== 'IHDR') throw new HeaderError('first chunk is not IHDR');
  return { width: u32be(bytes, 16), height: u32be(bytes, 20) };
}

function readGif(bytes: Uint8Array): Dimensions {
  return { width: u16le(bytes, 6), height: u16le(bytes, 8) };
}

function readBmp(bytes: Uint8Array): Dimensions {
  const headerSize = i32le(bytes, 14);
  if (headerSize === 12) return { width: u16le(bytes, 18), height: u16le(bytes, 20) };
  // Height is negative for top-down bitmaps.
  return { width: Math.abs(i32le(bytes, 18)), height: Math.abs(i32le(bytes, 22)) };
}

function readTiff(bytes: Uint8Array): Dimensions {
  const header = readTiffHeader(bytes);
  const ifd = header && readTiffIfd(header, header.firstIfd);
  if (!header || !ifd?.complete) throw new HeaderError('header ends early');
  const { view, little } = header;
  let width: number | undefined;
  let height: number | undefined;
  for (const { tag, type, offset } of tiffEntries(header, ifd)) {
    if (tag !== 256 && tag !== 257) continue;
    // SHORT or LONG, one value, in the entry itself.
    const value =
      type === 3 ? view.getUint16(offset + 8, little) : view.getUint32(offset + 8, little);
    if (tag === 256) width = value;
    else height = value;
  }
  if (width === undefined || height === undefined)
    throw new HeaderError('no ImageWidth/ImageLength in IFD0');
  return { width, height };
}

function readWebp(bytes: Uint8Array): Dimensions {
  const chunk = fourcc(bytes, 12);
  if (chunk === 'VP8 ') {
    if (bytes[23] !== 0x9d || bytes[24] !== 0x01 || bytes[25] !== 0x2a)
      throw new HeaderError('bad VP8 start code');
    return { width: u16le(bytes, 26) & 0x3fff, height: u16le(bytes, 28) & 0x3fff };
  }
  if (chunk === 'VP8L') {
    if (bytes[20] !== 0x2f) throw new HeaderError('bad VP8L signature');
    const bits = i32le(bytes, 21) >>> 0;
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X') return { width: u24le(bytes, 24) + 1, height: u24le(bytes, 27) + 1 };
  throw new HeaderError(`unknown WebP chunk ${JSON.stringify(chunk)}`);
}

/** Finds `ispe` (image spatial extents) boxes in an ISOBMFF file; the largest is the image. */
function readAvif(bytes: Uint8Array): Dimensions {
  let best: Dimensions | undefined;
  const containers = new Set(['meta', 'iprp', 'ipco']);
  const walk = (start: number, end: number, depth: number): void => {
    let offset = start;
    while (offset + 8 <= end && depth < 8) {
      let size = u32be(bytes, offset);
      const type = fourcc(bytes, offset + 4);
      let header = 8;
      if (size === 1) {
        size = u32be(bytes, offset + 8) * 2 ** 32 + u32be(bytes, offset + 12);
        header = 16;
      } else if (size === 0) size = end - offset;
      if (size < header || offset + size > end) throw new HeaderError(`bad ${type} box size`);
      if (type === 'ispe') {
        const found = { width: u32be(bytes, offset + 12), height: u32be(bytes, offset + 16) };
        if (!best || found.width * found.height > best.width * best.height) best = found;
      } else if (containers.has(type)) {
        walk(offset + header + (type === 'meta' ? 4 : 0), offset + size, depth + 1);
      }
      offset += size;
    }
  };
  walk(0, bytes.length, 0);
  if (!best) throw new HeaderError('no image size (ispe) in the AVIF header');
  return best;
}

/** HEIF: the primary item's `ispe`, found through `pitm` and `ipma` (lib/heif.ts). */
function readHeif(bytes: Uint8Array): Dimensions {
  try {
    const { width, height } = readHeifContainer(bytes);
    return { width, height };
  } catch (error) {
    throw error instanceof HeifContainerError ? new HeaderError(error.message) : error;
  }
}

/** The header readers of the formats whose size is all the guard reads of their header. */
const READERS: Record<Exclude<ImageFormat, 'jpeg'>, (bytes: Uint8Array) => Dimensions> = {
  png: readPng,
  gif: readGif,
  bmp: readBmp,
  tiff: readTiff,
  webp: readWebp,
  avif: readAvif,
  heif: readHeif,
};

/** Runs a header reader: its HeaderError, or a size of zero, is CORRUPT_IMAGE. */
function declared<T extends Dimensions>(name: string, format: ImageFormat, read: () => T): T {
  let header: T;
  try {
    header = read();
  } catch (error) {
    if (error instanceof HeaderError)
      throw new CorruptImageError(name, `${format} header: ${error.message}`);
    throw error;
  }
  if (!(header.width > 0 && header.height > 0)) {
    throw new CorruptImageError(name, `${format} header declares ${header.width}x${header.height}`);
  }
  return header;
}

/**
 * What a JPEG's frame header (SOFn) says, from the image's marker walk (readJpegMarkers).
 * Throws CorruptImageError when there is none before the scan data, or it declares no pixels.
 */
export function readJpegHeader(bytes: Uint8Array, markers: JpegMarkers, name: string): JpegHeader {
  return declared(name, 'jpeg', () => parseJpegHeader(bytes, markers));
}

/**
 * Reads the width and height a file declares in its header, without decoding any pixels.
 * Throws CorruptImageError when the header is truncated or malformed.
 */
export function readDeclaredDimensions(
  bytes: Uint8Array,
  format: ImageFormat,
  name = 'input',
): Dimensions {
  const { width, height } =
    format === 'jpeg'
      ? readJpegHeader(bytes, readJpegMarkers(bytes), name)
      : declared(name, format, () => READERS[format](bytes));
  return { width, height };
}

type GuardOptions = Pick<ProcessOptions, 'name' | 'maxBytes' | 'maxPixels'>;

function guardPixels({ width, height }: Dimensions, options: GuardOptions): void {
  if (width * height > options.maxPixels) {
    throw new TooManyPixelsError(options.name, width, height, options.maxPixels);
  }
}

/**
 * Refuses inputs over `maxBytes`, headers over `maxPixels`, and JPEG variants no decoder here
 * reads, before any decoding. Returns the declared dimensions. A JPEG's markers come from the
 * image's one marker walk when the caller has it (`jpeg`), else are read here.
 */
export function guardInput(
  bytes: Uint8Array,
  format: ImageFormat,
  options: GuardOptions,
  jpeg?: JpegMarkers,
): Dimensions {
  if (bytes.length > options.maxBytes)
    throw new TooLargeError(options.name, bytes.length, options.maxBytes);
  if (format === 'jpeg') return guardJpeg(bytes, jpeg ?? readJpegMarkers(bytes), options);
  if (format === 'png') checkPngCriticalCrcs(bytes, options.name); // before trusting IHDR
  const dimensions = readDeclaredDimensions(bytes, format, options.name);
  guardPixels(dimensions, options);
  if (format === 'gif') guardGifFrames(bytes, options);
  if (format === 'png') guardPngCompression(bytes, dimensions, options.name);
  return dimensions;
}

/** The JPEG checks: size, then the variants no decoder here reads, then the entropy bytes. */
function guardJpeg(bytes: Uint8Array, markers: JpegMarkers, options: GuardOptions): Dimensions {
  const header = readJpegHeader(bytes, markers, options.name);
  guardPixels(header, options);
  if (header.precision !== 8) {
    throw new UnsupportedFormatError(options.name, `JPEG with ${header.precision}-bit samples`);
  }
  if (header.lossless) throw new UnsupportedFormatError(options.name, 'lossless JPEG');
  if (!header.arithmetic) guardJpegEntropyBytes(bytes, markers, header, options.name);
  return { width: header.width, height: header.height };
}

/**
 * Every 8x8 block of a Huffman-coded scan costs at least one bit (its DC code), so a file with
 * fewer bits than the first scan has blocks cannot hold the picture its header declares: a
 * rewritten header or a cut file, refused before a decoder spends seconds on it. Arithmetic
 * coding can code a block in under a bit, so it is not checked.
 */
function guardJpegEntropyBytes(
  bytes: Uint8Array,
  markers: JpegMarkers,
  header: JpegHeader,
  name: string,
): void {
  const blocks = firstScanBlocks(markers, header);
  if (blocks === undefined || bytes.length * 8 >= blocks) return;
  throw new CorruptImageError(
    name,
    `JPEG declares ${header.width}x${header.height}, which needs at least ${blocks} coded blocks (one bit each), but the file has only ${bytes.length} bytes`,
  );
}

/**
 * The number of 8x8 blocks of the components in the first scan (SOS), from the frame header's
 * sampling factors; undefined when the markers cannot be read (the decoder reports that).
 */
function firstScanBlocks(markers: JpegMarkers, header: JpegHeader): number | undefined {
  const sampling = new Map<number, { h: number; v: number }>();
  for (const { marker, body } of markers.segments) {
    if (SOF_MARKERS.has(marker)) {
      const count = body[5] ?? 0;
      for (let i = 0; i < count && 7 + i * 3 < body.length; i++) {
        const factors = body[7 + i * 3]!;
        sampling.set(body[6 + i * 3]!, { h: factors >> 4, v: factors & 15 });
      }
    }
    if (marker === 0xda) {
      const factors = [...sampling.values()];
      const hMax = Math.max(...factors.map((f) => f.h));
      const vMax = Math.max(...factors.map((f) => f.v));
      if (!(hMax > 0 && vMax > 0)) return undefined;
      let blocks = 0;
      const count = body[0] ?? 0;
      for (let i = 0; i < count; i++) {
        const component = sampling.get(body[1 + i * 2] ?? -1);
        if (!component) return undefined;
        const width = Math.ceil((header.width * component.h) / hMax);
        const height = Math.ceil((header.height * component.v) / vMax);
        blocks += Math.ceil(width / 8) * Math.ceil(height / 8);
      }
      return blocks;
    }
  }
  return undefined;
}

/** Samples per pixel of each PNG colour type. */
const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Deflate cannot compress better than 1032:1 (two bits per 258-byte match). */
const DEFLATE_MAX_RATIO = 1032;

/**
 * A PNG whose image data (IDAT) is smaller than its declared rows could ever deflate to is cut
 * short or a decompression bomb: refused before the decoder inflates it.
 */
function guardPngCompression(bytes: Uint8Array, dimensions: Dimensions, name: string): void {
  const channels = PNG_CHANNELS[bytes[25] ?? -1];
  const bitDepth = bytes[24] ?? 0;
  if (channels === undefined || bitDepth === 0) return;
  const rowBytes = 1 + Math.ceil((dimensions.width * channels * bitDepth) / 8);
  const rawBytes = dimensions.height * rowBytes;
  let idatBytes = 0;
  for (const chunk of pngChunks(bytes)) {
    if (chunk.type === 'IDAT')
      idatBytes += Math.min(chunk.length, bytes.length - chunk.offset - 12);
  }
  if (idatBytes * DEFLATE_MAX_RATIO >= rawBytes) return;
  throw new CorruptImageError(
    name,
    `PNG declares ${dimensions.width}x${dimensions.height} (${rawBytes} bytes of rows), more than its ${idatBytes} bytes of image data can hold at deflate's best ratio of ${DEFLATE_MAX_RATIO}:1`,
  );
}

/**
 * The first frame (the one we decode) may declare a size larger than the logical screen, and
 * the decoder allocates for it and would blit it wrongly: check it too. Only the blocks are
 * walked here; nothing is decompressed.
 */
function guardGifFrames(bytes: Uint8Array, options: GuardOptions): void {
  const gif = readGifStructure(bytes, options.name);
  const frame = gif.first;
  guardPixels(frame, options);
  if (frame.x + frame.width > gif.width || frame.y + frame.height > gif.height) {
    throw new CorruptImageError(
      options.name,
      `gif first frame extends outside the ${gif.width}x${gif.height} screen`,
    );
  }
}
