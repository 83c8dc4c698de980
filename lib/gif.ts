/**
 * GIF reading of our own: the block structure (header, logical screen, colour tables, graphic
 * control extension, image descriptors) and a bounded LZW decoder for the first frame. Every
 * loop is bounded by the input or the frame size and every code is checked against the table,
 * so damaged files fail fast with CORRUPT_IMAGE instead of looping (omggif's decoder chased
 * invalid codes forever) or succeeding with part of the picture missing.
 */
import { CorruptImageError } from './errors.js';
import { concatBytes } from './bytes.js';
import { decodeLzw } from './lzw.js';

/** The first frame of a GIF and what the file says around it. */
export interface GifFrame {
  x: number;
  y: number;
  width: number;
  height: number;
  interlaced: boolean;
  /** Offset of the colour table that applies (local, else global); undefined if none. */
  paletteOffset?: number;
  paletteSize: number;
  /** Palette index drawn as transparent, from the graphic control extension. */
  transparentIndex?: number;
  /** Offset of the LZW minimum code size byte; the data sub-blocks follow it. */
  dataOffset: number;
  /** From the graphic control extension: hundredths of a second shown (0 when absent). */
  delayCs: number;
  /** From the graphic control extension: 0-1 keep, 2 clear to background, 3 restore. */
  disposal: number;
}

/** The logical screen, the first frame and how many frames the file holds. */
export interface GifStructure {
  width: number;
  height: number;
  frameCount: number;
  first: GifFrame;
  /** Every frame, in order (lib/animation/ draws them all). */
  frames: GifFrame[];
}

/** Reads past a chain of data sub-blocks from `offset`; returns the offset after its terminator. */
function skipSubBlocks(bytes: Uint8Array, offset: number, name: string): number {
  let at = offset;
  for (;;) {
    const size = bytes[at];
    if (size === undefined) throw new CorruptImageError(name, 'GIF data ends inside a block');
    at += 1 + size;
    if (size === 0) return at;
  }
}

/**
 * Walks the blocks of a GIF: the logical screen, every extension (skipped by its sub-blocks,
 * the graphic control extension before the first image read for transparency) and every image
 * descriptor, up to the trailer. Throws CorruptImageError for a damaged structure.
 */
export function readGifStructure(bytes: Uint8Array, name: string): GifStructure {
  if (bytes.length < 13) throw new CorruptImageError(name, 'GIF header ends early');
  const signature = String.fromCharCode(...bytes.subarray(0, 6));
  if (signature !== 'GIF87a' && signature !== 'GIF89a') {
    throw new CorruptImageError(name, 'not a GIF87a/GIF89a header');
  }
  const width = bytes[6]! | (bytes[7]! << 8);
  const height = bytes[8]! | (bytes[9]! << 8);
  const packed = bytes[10]!;
  let offset = 13;
  let globalPalette: number | undefined;
  let globalSize = 0;
  if (packed & 0x80) {
    globalPalette = offset;
    globalSize = 1 << ((packed & 7) + 1);
    offset += globalSize * 3;
  }
  const frames: GifFrame[] = [];
  // The graphic control extension before an image applies to that image only.
  let control: Pick<GifFrame, 'transparentIndex' | 'delayCs' | 'disposal'> = {
    delayCs: 0,
    disposal: 0,
  };
  while (offset < bytes.length) {
    const block = bytes[offset++]!;
    if (block === 0x3b) break; // trailer
    if (block === 0x21) {
      const label = bytes[offset++];
      if (label === undefined) throw new CorruptImageError(name, 'GIF data ends inside a block');
      if (label === 0xf9 && bytes[offset] === 4 && offset + 4 < bytes.length) {
        const packed = bytes[offset + 1]!;
        control = {
          delayCs: bytes[offset + 2]! | (bytes[offset + 3]! << 8),
          disposal: (packed >> 2) & 7,
          ...(packed & 1 ? { transparentIndex: bytes[offset + 4]! } : {}),
        };
      }
      offset = skipSubBlocks(bytes, offset, name);
      continue;
    }
    if (block !== 0x2c) {
      throw new CorruptImageError(name, `unknown GIF block 0x${block.toString(16)}`);
    }
    if (offset + 9 > bytes.length)
      throw new CorruptImageError(name, 'GIF image descriptor ends early');
    const u16 = (at: number) => bytes[at]! | (bytes[at + 1]! << 8);
    const flags = bytes[offset + 8]!;
    const frame: GifFrame = {
      x: u16(offset),
      y: u16(offset + 2),
      width: u16(offset + 4),
      height: u16(offset + 6),
      interlaced: (flags & 0x40) !== 0,
      paletteSize: globalSize,
      dataOffset: 0,
      ...(globalPalette === undefined ? {} : { paletteOffset: globalPalette }),
      ...control,
    };
    control = { delayCs: 0, disposal: 0 };
    offset += 9;
    if (flags & 0x80) {
      frame.paletteOffset = offset;
      frame.paletteSize = 1 << ((flags & 7) + 1);
      offset += frame.paletteSize * 3;
    }
    frame.dataOffset = offset;
    offset = skipSubBlocks(bytes, offset + 1, name);
    frames.push(frame);
  }
  const first = frames[0];
  if (!first) throw new CorruptImageError(name, 'gif without an image');
  return { width, height, frameCount: frames.length, first, frames };
}

/** The data sub-blocks from `offset` to their terminator as one run of bytes (bounded by the file). */
function joinSubBlocks(bytes: Uint8Array, offset: number): Uint8Array {
  const chunks: Uint8Array[] = [];
  for (let at = offset; ;) {
    const size = bytes[at] ?? 0;
    if (size === 0) break;
    chunks.push(bytes.subarray(at + 1, at + 1 + size));
    at += 1 + size;
  }
  return concatBytes(chunks);
}

/**
 * Decodes the LZW data of a frame into `pixels` palette indexes (`pixels` = width x height).
 * Stops once the frame is full (extra data is ignored, as browsers do); fails when a code is
 * not in the table or the data ends before the frame is complete. Work is bounded by the data
 * length plus the frame size: each code either resets the table or emits at least one index.
 */
export function decodeGifLzw(
  bytes: Uint8Array,
  dataOffset: number,
  pixels: number,
  name: string,
): Uint8Array {
  const minCodeSize = bytes[dataOffset];
  if (minCodeSize === undefined || minCodeSize < 1 || minCodeSize > 8) {
    throw new CorruptImageError(name, `GIF LZW minimum code size ${String(minCodeSize)}`);
  }
  const data = joinSubBlocks(bytes, dataOffset + 1);
  const flavour = { format: 'GIF', rootBits: minCodeSize, tiff: false };
  const strings = decodeLzw(data, flavour, pixels, name);
  if (strings.out < pixels) {
    throw new CorruptImageError(
      name,
      `GIF image data ends after ${strings.out} of the first frame's ${pixels} pixels`,
    );
  }
  return strings.output;
}

/** Palette indexes past the colour table read as opaque black. */
export function paletteRgba(bytes: Uint8Array, frame: GifFrame): Uint8Array {
  const palette = new Uint8Array(256 * 4);
  for (let i = 0; i < 256; i++) {
    const at = frame.paletteOffset === undefined ? -1 : frame.paletteOffset + i * 3;
    if (i < frame.paletteSize && at >= 0 && at + 2 < bytes.length) {
      palette.set([bytes[at]!, bytes[at + 1]!, bytes[at + 2]!], i * 4);
    }
    palette[i * 4 + 3] = 255;
  }
  if (frame.transparentIndex !== undefined) palette[frame.transparentIndex * 4 + 3] = 0;
  return palette;
}

/** Rows of an interlaced frame in the order they are stored: every 8th, 4th, 2nd, then odd. */
export function storedRowOrder(height: number, interlaced: boolean): number[] {
  if (!interlaced) return Array.from({ length: height }, (_, row) => row);
  const rows: number[] = [];
  for (const [start, step] of [
    [0, 8],
    [4, 8],
    [2, 4],
    [1, 2],
  ] as const) {
    for (let row = start; row < height; row += step) rows.push(row);
  }
  return rows;
}

/**
 * Decodes the first frame of a GIF onto a transparent canvas of the logical screen's size, as
 * RGBA. Throws CorruptImageError for a damaged structure, a frame outside the screen, an
 * invalid LZW code or image data that ends before the frame is complete.
 */
export function decodeGifFirstFrame(
  bytes: Uint8Array,
  name: string,
): { width: number; height: number; data: Uint8Array; frameCount: number } {
  const gif = readGifStructure(bytes, name);
  const { first: frame, width, height } = gif;
  if (frame.x + frame.width > width || frame.y + frame.height > height) {
    throw new CorruptImageError(
      name,
      `gif first frame extends outside the ${width}x${height} screen`,
    );
  }
  if (frame.paletteOffset === undefined)
    throw new CorruptImageError(name, 'GIF without a colour table');
  const indexes = decodeGifLzw(bytes, frame.dataOffset, frame.width * frame.height, name);
  const palette = paletteRgba(bytes, frame);
  const data = new Uint8Array(width * height * 4);
  const rows = storedRowOrder(frame.height, frame.interlaced);
  for (let stored = 0; stored < rows.length; stored++) {
    const row = rows[stored]!;
    let target = ((frame.y + row) * width + frame.x) * 4;
    let source = stored * frame.width;
    for (let x = 0; x < frame.width; x++, target += 4, source += 1) {
      const colour = indexes[source]! * 4;
      if (palette[colour + 3] === 0) continue; // transparent: the canvas stays clear
      data[target] = palette[colour]!;
      data[target + 1] = palette[colour + 1]!;
      data[target + 2] = palette[colour + 2]!;
      data[target + 3] = 255;
    }
  }
  return { width, height, data, frameCount: gif.frameCount };
}
