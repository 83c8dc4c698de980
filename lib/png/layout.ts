/**
 * What a PNG's chunks say about its pixels, read in the one chunk walk (lib/png-chunks.ts): the
 * header fields, the palette and transparency, where the image data lies, and whether the file
 * is complete. The streaming decoder (./shrink-decode.ts) needs no more than this.
 */
import { pngChunks } from '../png-chunks.js';

/** PNG colour types (IHDR byte 9). */
export const COLOR_TYPE = {
  gray: 0,
  rgb: 2,
  palette: 3,
  grayAlpha: 4,
  rgba: 6,
} as const;

/** Samples per pixel of each colour type. */
const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** The layout of one PNG's image data. */
export interface PngLayout {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  /** Adam7 interlacing (IHDR byte 12 is 1). */
  interlaced: boolean;
  /** Samples per pixel (1 to 4). */
  channels: number;
  /** The PLTE entries as RGB triples (empty without one). */
  palette: Uint8Array;
  /** The tRNS chunk's data, when there is one. */
  transparency: Uint8Array | undefined;
  /** The IDAT chunks' data, in order (the first run of IDATs; they must be consecutive). */
  imageData: Uint8Array[];
  /** The acTL chunk's frame count (APNG), when there is one. */
  frames: number | undefined;
  /** True when the walk reached IEND with every chunk whole. */
  complete: boolean;
}

function u32(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset]! << 24) |
      (bytes[offset + 1]! << 16) |
      (bytes[offset + 2]! << 8) |
      bytes[offset + 3]!) >>>
    0
  );
}

/**
 * Reads the layout from the chunks. Walks every chunk by its length (cheap): a file cut short
 * has no IEND where it should be, and `complete` is then false.
 */
export function readPngLayout(bytes: Uint8Array): PngLayout {
  const colorType = bytes[25] ?? COLOR_TYPE.rgba;
  const layout: PngLayout = {
    width: bytes.length >= 24 ? u32(bytes, 16) : 0,
    height: bytes.length >= 24 ? u32(bytes, 20) : 0,
    bitDepth: bytes[24] ?? 8,
    colorType,
    interlaced: bytes[28] === 1,
    channels: CHANNELS[colorType] ?? 0,
    palette: new Uint8Array(0),
    transparency: undefined,
    imageData: [],
    frames: undefined,
    complete: false,
  };
  let afterImageData = false;
  for (const chunk of pngChunks(bytes)) {
    if (!chunk.complete) break;
    if (chunk.type === 'IDAT') {
      if (!afterImageData) layout.imageData.push(chunk.data);
      continue;
    }
    if (layout.imageData.length > 0) afterImageData = true;
    if (chunk.type === 'PLTE') layout.palette = chunk.data;
    else if (chunk.type === 'tRNS') layout.transparency = chunk.data;
    else if (chunk.type === 'acTL' && chunk.length >= 4) layout.frames = u32(chunk.data, 0);
    else if (chunk.type === 'IEND') {
      layout.complete = true;
      break;
    }
  }
  return layout;
}

/** True when some pixel may be transparent: an alpha channel or a tRNS chunk. */
export function mayHaveAlpha(layout: PngLayout): boolean {
  return (
    layout.colorType === COLOR_TYPE.grayAlpha ||
    layout.colorType === COLOR_TYPE.rgba ||
    layout.transparency !== undefined
  );
}
