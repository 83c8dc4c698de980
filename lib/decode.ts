/**
 * The decode stage (see process.ts for the order of stages): decode the bytes into an 8-bit RGBA
 * bitmap, with what the headers say about the source (bit depth, colour space, alpha, frames).
 * Baseline JPEGs shrink on load (lib/jpeg, DCT scaling to just above the target box); other JPEGs
 * go to mozjpeg, arithmetic-coded ones to libjpeg-turbo, CMYK/YCCK through their profile
 * (lib/cmyk.ts) or else to jpeg-js; PNGs shrink on load while they decode (lib/png) or else go,
 * like WebP, AVIF and HEIF, to their WASM codecs; GIF, BMP
 * and TIFF to JavaScript decoders (GIF's our own, lib/gif.ts;
 * 32-bit BMPs with alpha, lib/bmp.ts). A file cut short or only half read fails with
 * CORRUPT_IMAGE: never a wrong picture.
 */
import {
  CodecError,
  decodeAvifWasm,
  decodeJpegTurbo,
  decodeJpegWasm,
  decodePngWasm,
  decodeWebpWasm,
} from './codecs/index.js';
import { decodeHeifWasm } from './codecs/heif.js';
import { decodeBmpWithAlpha } from './bmp.js';
import { CorruptImageError, ImageError } from './errors.js';
import { decodeGifFirstFrame } from './gif.js';
import { decompressLzwStrips, readTiffDirectories } from './tiff.js';
import { readJpegHeader, type Dimensions, type JpegHeader } from './guard.js';
import {
  chooseJpegScale,
  decodeScaledJpeg,
  decodeScaledJpegPlanes,
  PLANE_MARGIN,
  type ScaledJpegPlanes,
} from './jpeg/index.js';
import { readJpegMarkers, type JpegMarkers } from './jpeg/markers.js';
import { concatBytes } from './bytes.js';
import { decodeCmykThroughProfile } from './cmyk.js';
import { COLOR_TYPE, mayHaveAlpha, readPngLayout, type PngLayout } from './png/layout.js';
import { canShrinkOnLoad, decodePngShrunk } from './png/shrink-decode.js';
import { boxShrinkFactor, type Size } from './resize.js';
import { riffChunks, type RiffChunk } from './riff.js';
import type { Bitmap, ImageFormat, ImageInfo } from './types.js';

type UTIFPage = import('utif2').IFD;

/** What the decode stage is asked to do. */
export interface DecodeRequest {
  bytes: Uint8Array;
  format: ImageFormat;
  /** Name of the input, for messages. */
  name: string;
  /**
   * The box the image will be shrunk to fit, in stored (un-rotated) orientation. A decoder that
   * can decode at a reduced scale (JPEG DCT scaling) may return any bitmap that still covers it.
   */
  targetBox: Dimensions;
  /** A JPEG's markers, from the image's one marker walk (read here when absent). */
  jpeg?: JpegMarkers;
  /** False: decode at full size even where DCT scaling could shrink on load (default true). */
  shrinkOnLoad?: boolean;
  /**
   * True: a baseline JPEG that lib/jpeg decodes (at a reduced scale or, with shrink-on-load on,
   * at full size) may come back as component planes, to be resized plane by plane
   * (`resizePlanes`) and colour-converted at the output size.
   */
  planes?: boolean;
}

/** What every decode says about the source. */
interface DecodedSource {
  /** Full size of the source, in stored orientation. */
  width: number;
  height: number;
  /** A decoder that converts through the profile itself (CMYK) sets `iccApplied`/`iccWarning`. */
  info: Omit<ImageInfo, 'width' | 'height' | 'orientation' | 'iccProfile'> & {
    /**
     * True when the decoder already made the pixels upright (libheif applies HEIF's `irot` and
     * `imir`): `width` and `height` are then the upright size, and nothing is rotated after.
     */
    upright?: boolean;
  };
}

/** The decoded bitmap (possibly reduced, see `targetBox`) and what we learnt about the source. */
export interface DecodedBitmap extends DecodedSource {
  kind: 'bitmap';
  bitmap: Bitmap;
  /**
   * The source's extent in bitmap pixels when the decoder box-shrank it (PNG shrink on load):
   * fractional where the last block is partial; absent when the bitmap spans exactly the image.
   */
  extent?: Size;
}

/** A JPEG decoded at a reduced scale as component planes, before colour conversion. */
export interface DecodedPlanes extends DecodedSource {
  kind: 'planes';
  planes: ScaledJpegPlanes;
}

/** Either decode; planes only when the request allowed them. */
export type DecodedImage = DecodedBitmap | DecodedPlanes;

/** libjpeg warnings after which the picture is damaged (junk before a marker is harmless). */
function isDamagingJpegWarning(text: string): boolean {
  if (/extraneous bytes before marker/i.test(text)) return false;
  return /premature end|corrupt jpeg data|bad huffman|bogus|huffman code/i.test(text);
}

/** True when an end-of-image marker follows the scan data (false for a truncated file). */
export function hasJpegEnd(bytes: Uint8Array, markers: JpegMarkers): boolean {
  const scan = markers.scanDataOffset;
  if (scan < 0) return false;
  for (let i = bytes.length - 2; i >= scan; i--) {
    if (bytes[i] === 0xff && bytes[i + 1] === 0xd9) return true;
  }
  return false;
}

/** A bitmap decoded at the source's full size. */
function fullSize(bitmap: Bitmap, info: DecodedSource['info']): DecodedBitmap {
  return { kind: 'bitmap', bitmap, width: bitmap.width, height: bitmap.height, info };
}

function hasAnyAlpha(data: Uint8Array | Uint8ClampedArray): boolean {
  for (let i = 3; i < data.length; i += 4) if (data[i] !== 255) return true;
  return false;
}

/** Whether a decoder's error is its verdict on the data. */
type Refusal = (error: unknown) => boolean;

/**
 * The WASM codecs raise CodecError when the data makes them fail; a codec that would not load
 * (or any other error around the call) says nothing about the image.
 */
const codecRefused: Refusal = (error) => error instanceof CodecError;

/**
 * The JavaScript decoders (jpeg-js, jimp's BMP, utif2) have no error type of their own: what
 * they throw on malformed data is whatever they hit (an Error with a message, a TypeError on a
 * missing table), so anything thrown by the decode call itself is their verdict.
 */
const anyThrow: Refusal = () => true;

/**
 * Runs one third-party decoder call, narrowly: what it throws and `refused` accepts becomes
 * CORRUPT_IMAGE in the decoder's own words; anything else goes on as it is.
 */
async function verdictOf<T>(
  request: DecodeRequest,
  decoder: string,
  refused: Refusal,
  decode: () => T | Promise<T>,
): Promise<T> {
  try {
    return await decode();
  } catch (error) {
    if (error instanceof ImageError || !refused(error)) throw error;
    const detail = error instanceof Error ? error.message : String(error);
    throw new CorruptImageError(
      request.name,
      `${request.format} decoder ${decoder}: ${detail}`,
      error,
    );
  }
}

async function decodeJpeg(request: DecodeRequest): Promise<DecodedImage> {
  const { bytes, name } = request;
  const markers = request.jpeg ?? readJpegMarkers(bytes);
  const header = readJpegHeader(bytes, markers, name);
  if (!hasJpegEnd(bytes, markers))
    throw new CorruptImageError(name, 'JPEG data ends before its end-of-image marker');
  if (header.components === 4) return decodeCmykJpeg(request, header, markers);
  // Every other path decodes to grey or RGB samples of the declared size.
  const colorSpace = header.components === 1 ? ('gray' as const) : ('srgb' as const);
  const source = { width: header.width, height: header.height, info: jpegInfo(header, colorSpace) };
  if (header.arithmetic) {
    // mozjpeg's WASM build has no arithmetic decoder; libjpeg-turbo's has.
    const bitmap = await verdictOf(request, 'libjpeg-turbo', codecRefused, () =>
      decodeJpegTurbo(bytes),
    );
    return { kind: 'bitmap', bitmap, ...source };
  }
  const shrunk = shrinkOnLoad(request, header);
  if (shrunk) return { ...shrunk, ...source };
  const { image, warnings } = await verdictOf(request, 'mozjpeg', codecRefused, () =>
    decodeJpegWasm(bytes),
  );
  const damage = warnings.find(isDamagingJpegWarning);
  if (damage) throw new CorruptImageError(name, damage);
  return { kind: 'bitmap', bitmap: image, ...source };
}

/** What every JPEG decode says about the source, in the given colour space. */
function jpegInfo(header: JpegHeader, colorSpace: ImageInfo['colorSpace']): DecodedSource['info'] {
  return {
    hasAlpha: false,
    bitDepth: header.precision,
    animated: false,
    progressive: header.progressive,
    colorSpace,
  };
}

/**
 * CMYK and YCCK: through the embedded CMYK profile where there is one (lib/cmyk.ts); else, or
 * when that path cannot take the file, jpeg-js converts naively, honouring Adobe's inverted CMYK
 * (mozjpeg cannot convert them to RGB).
 */
async function decodeCmykJpeg(
  request: DecodeRequest,
  header: JpegHeader,
  markers: JpegMarkers,
): Promise<DecodedImage> {
  const ycck = header.adobeTransform === 2;
  const info = jpegInfo(header, ycck ? 'ycck' : 'cmyk');
  const { width, height } = header;
  const shrinkOnLoad = request.shrinkOnLoad !== false;
  const managed = await decodeCmykThroughProfile({
    ...request,
    markers,
    width,
    height,
    shrinkOnLoad,
  });
  if (managed.bitmap) {
    return {
      kind: 'bitmap',
      bitmap: managed.bitmap,
      width,
      height,
      info: { ...info, iccApplied: true },
    };
  }
  const jpegJs = (await import('jpeg-js')).default;
  const decoded = await verdictOf(request, 'jpeg-js', anyThrow, () =>
    jpegJs.decode(request.bytes, {
      useTArray: true,
      formatAsRGBA: true,
      colorTransform: ycck,
      tolerantDecoding: false,
      maxResolutionInMP: Math.ceil((header.width * header.height) / 1e6) + 1,
      maxMemoryUsageInMB: 4096,
    }),
  );
  return {
    kind: 'bitmap',
    bitmap: { width: decoded.width, height: decoded.height, data: decoded.data },
    width,
    height,
    info: managed.warning ? { ...info, iccWarning: managed.warning } : info,
  };
}

/**
 * Shrink on load: a baseline JPEG decodes through lib/jpeg straight to the smallest DCT scale
 * (1/8 to 8/8) that still leaves the resize room to filter (see chooseJpegScale): as planes
 * when the request allows, at any scale; as RGBA only below full size. Undefined when
 * `shrinkOnLoad` is off, for RGBA at full size and for whatever lib/jpeg declines: mozjpeg
 * takes those. At full size (a 1 MP photo for 800x600) planes take the same CPU time as
 * mozjpeg's RGBA plus its resize (about 78 ms a whole image here) and 15-30 MB less peak RSS
 * (no mozjpeg heap, no full-size RGBA bitmap); their cost is the cold start, where lib/jpeg
 * runs before the JIT has compiled it: the first 1 MP image takes 40-60 ms more.
 */
function shrinkOnLoad(
  request: DecodeRequest,
  header: JpegHeader,
): Pick<DecodedBitmap, 'kind' | 'bitmap'> | Pick<DecodedPlanes, 'kind' | 'planes'> | undefined {
  const { bytes, targetBox } = request;
  if (request.shrinkOnLoad === false) return undefined;
  const scale = chooseJpegScale(header.width, header.height, targetBox);
  if (request.planes === true) {
    // Planes: the resize stage filters each component on its own grid and converts colour at
    // the output size; chroma planes at least PLANE_MARGIN times the target each way.
    const planar = decodeScaledJpegPlanes(bytes, {
      scale,
      minPlaneSize: {
        width: Math.ceil(targetBox.width * PLANE_MARGIN),
        height: Math.ceil(targetBox.height * PLANE_MARGIN),
      },
    });
    if (planar.ok) return { kind: 'planes', planes: planar.image };
    // Only the sampling layout (4:1:1 has no planes) or a fault of the planar path itself can
    // end differently on the RGBA path; anything else in the stream would fail it the same way.
    if (planar.reason !== 'sampling' && planar.reason !== 'internal') return undefined;
  }
  // RGBA at full size is mozjpeg's: faster than lib/jpeg's conversion of the whole image.
  if (scale === 8) return undefined;
  const scaled = decodeScaledJpeg(bytes, { scale });
  if (!scaled.ok) return undefined;
  const { width, height, data } = scaled.image;
  return { kind: 'bitmap', bitmap: { width, height, data } };
}

/**
 * PNG: shrink on load (lib/png, resize while decoding) when the target is small enough for a
 * box pre-shrink and the layout streams (not interlaced, not animated); else @jsquash/png at
 * full size.
 */
async function decodePng(request: DecodeRequest): Promise<DecodedImage> {
  const layout = readPngLayout(request.bytes);
  if (!layout.complete)
    throw new CorruptImageError(request.name, 'PNG data ends before its IEND chunk');
  const info = pngInfo(layout);
  const factor = request.shrinkOnLoad === false ? 1 : boxShrinkFactor(layout, request.targetBox);
  if (factor > 1 && canShrinkOnLoad(layout)) {
    const shrunk = await decodePngShrunk(layout, factor, request.name);
    return {
      kind: 'bitmap',
      bitmap: shrunk.bitmap,
      extent: shrunk.extent,
      width: layout.width,
      height: layout.height,
      info: { ...info, hasAlpha: shrunk.hasAlpha },
    };
  }
  const image = await verdictOf(request, 'png', codecRefused, () => decodePngWasm(request.bytes));
  return fullSize(image, { ...info, hasAlpha: mayHaveAlpha(layout) && hasAnyAlpha(image.data) });
}

/** What a PNG's chunks say about the source (hasAlpha comes from the pixels). */
function pngInfo(layout: PngLayout): DecodedSource['info'] {
  const { colorType, frames } = layout;
  const colorSpace =
    colorType === COLOR_TYPE.palette
      ? 'palette'
      : colorType === COLOR_TYPE.gray || colorType === COLOR_TYPE.grayAlpha
        ? 'gray'
        : 'srgb';
  return {
    hasAlpha: false,
    bitDepth: layout.bitDepth,
    colorSpace,
    animated: (frames ?? 1) > 1,
    ...(frames === undefined ? {} : { frameCount: frames }),
  };
}

function decodeGif(request: DecodeRequest): DecodedImage {
  const { width, height, data, frameCount } = decodeGifFirstFrame(request.bytes, request.name);
  return fullSize(
    { width, height, data },
    {
      hasAlpha: hasAnyAlpha(data),
      bitDepth: 8,
      colorSpace: 'palette',
      animated: frameCount > 1,
      frameCount,
    },
  );
}

async function decodeBmp(request: DecodeRequest): Promise<DecodedImage> {
  // 32-bit bit-field BMPs with an alpha mask: our own reader, since jimp's drops the alpha.
  const withAlpha = decodeBmpWithAlpha(request.bytes, request.name);
  if (withAlpha) {
    const { width, height, data, hasAlpha } = withAlpha;
    return fullSize(
      { width, height, data },
      { hasAlpha, bitDepth: 8, colorSpace: 'srgb', animated: false },
    );
  }
  const bmp = (await import('@jimp/js-bmp')).default();
  const decoded = await verdictOf(request, 'bmp', anyThrow, () =>
    bmp.decode(Buffer.from(request.bytes)),
  );
  const bitDepth = request.bytes[28] ?? 24;
  return fullSize(
    { width: decoded.width, height: decoded.height, data: decoded.data },
    {
      hasAlpha: false,
      bitDepth: bitDepth >= 24 ? 8 : bitDepth,
      colorSpace: bitDepth <= 8 ? 'palette' : 'srgb',
      animated: false,
    },
  );
}

async function decodeTiff(request: DecodeRequest): Promise<DecodedImage> {
  const UTIF = (await import('utif2')).default;
  // Our own bounded directory reader and LZW decoder in front of utif2's (see lib/tiff.ts).
  const directories = readTiffDirectories(request.bytes, request.name);
  const page = directories.first as unknown as UTIFPage;
  // utif2 decodes whatever strips or tiles are present: refuse a file cut short instead.
  const offsets = (page['t273'] ?? page['t324']) as number[] | undefined;
  const counts = (page['t279'] ?? page['t325']) as number[] | undefined;
  if (
    !offsets ||
    !counts ||
    offsets.some((start, i) => start + (counts[i] ?? Infinity) > request.bytes.length)
  ) {
    throw new CorruptImageError(request.name, 'TIFF image data ends before its strips or tiles do');
  }
  const plain = decompressLzwStrips(request.bytes, directories.first, request.name);
  const image = plain.directory as unknown as UTIFPage;
  const rgba = await verdictOf(request, 'utif2', anyThrow, () => {
    UTIF.decodeImage(plain.bytes as unknown as ArrayBuffer, image); // the first page only
    return UTIF.toRGBA8(image);
  });
  const width = image.width;
  const height = image.height;
  if (!width || !height || rgba.length !== width * height * 4) {
    throw new CorruptImageError(request.name, 'TIFF image data does not match its size');
  }
  const bitsPerSample = (page['t258'] as number[] | undefined)?.[0] ?? 8;
  const photometric = (page['t262'] as number[] | undefined)?.[0];
  const colorSpace =
    photometric === 5
      ? 'cmyk'
      : photometric === 0 || photometric === 1
        ? 'gray'
        : photometric === 3
          ? 'palette'
          : 'srgb';
  return fullSize(
    { width, height, data: rgba },
    {
      hasAlpha: hasAnyAlpha(rgba),
      bitDepth: bitsPerSample,
      colorSpace,
      animated: false,
      frameCount: directories.count,
    },
  );
}

/** The RIFF chunks of a WebP file between `from` and `to`; every one must lie within them. */
export function webpChunks(name: string, bytes: Uint8Array, from: number, to: number): RiffChunk[] {
  const chunks = [...riffChunks(bytes, from, to)];
  const cut = chunks.find((chunk) => !chunk.complete);
  if (cut)
    throw new CorruptImageError(
      name,
      `WebP ${cut.type.trim()} chunk runs past the end of the data`,
    );
  return chunks;
}

/** A value as three little-endian bytes. */
function u24le(value: number): number[] {
  return [value & 255, (value >> 8) & 255, (value >> 16) & 255];
}

function u24(bytes: Uint8Array, offset: number): number {
  return bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16);
}

/**
 * One animation frame as a still WebP file: its ALPH and VP8/VP8L chunks in a RIFF header,
 * behind a VP8X header that declares the alpha when there is one.
 */
export function stillWebp(
  bytes: Uint8Array,
  frameChunks: RiffChunk[],
  width: number,
  height: number,
): Uint8Array {
  const parts: Uint8Array[] = [];
  if (frameChunks.some((chunk) => chunk.type === 'ALPH')) {
    const vp8x = new Uint8Array(18);
    vp8x.set([0x56, 0x50, 0x38, 0x58, 10, 0, 0, 0, 0x10]); // "VP8X", length 10, alpha flag
    vp8x.set(u24le(width - 1), 12);
    vp8x.set(u24le(height - 1), 15);
    parts.push(vp8x);
  }
  for (const chunk of frameChunks) {
    if (chunk.type === 'ALPH' || chunk.type === 'VP8 ' || chunk.type === 'VP8L') {
      parts.push(bytes.subarray(chunk.start - 8, chunk.start + chunk.length + (chunk.length & 1)));
    }
  }
  const body = concatBytes(parts);
  const header = new Uint8Array(12);
  header.set([0x52, 0x49, 0x46, 0x46]); // "RIFF"
  new DataView(header.buffer).setUint32(4, body.length + 4, true);
  header.set([0x57, 0x45, 0x42, 0x50], 8); // "WEBP"
  return concatBytes([header, body]);
}

/**
 * WebP: a still image goes straight to libwebp. libwebp's still decoder refuses animations, so
 * for an animated file the first frame (ANMF) is rewrapped as a still WebP, decoded, and placed
 * on a transparent canvas of the declared size.
 */
async function decodeWebp(request: DecodeRequest): Promise<DecodedImage> {
  const { bytes } = request;
  const chunks = webpChunks(request.name, bytes, 12, bytes.length);
  const frames = chunks.filter((chunk) => chunk.type === 'ANMF');
  if (frames.length === 0) return decodeWasmRgba(request, 'libwebp', decodeWebpWasm);
  const canvasChunk = chunks.find((chunk) => chunk.type === 'VP8X');
  if (!canvasChunk)
    throw new CorruptImageError(request.name, 'animated WebP without a VP8X header');
  const width = u24(bytes, canvasChunk.start + 4) + 1;
  const height = u24(bytes, canvasChunk.start + 7) + 1;
  const first = frames[0]!;
  const x0 = u24(bytes, first.start) * 2;
  const y0 = u24(bytes, first.start + 3) * 2;
  const frameWidth = u24(bytes, first.start + 6) + 1;
  const frameHeight = u24(bytes, first.start + 9) + 1;
  if (x0 + frameWidth > width || y0 + frameHeight > height) {
    throw new CorruptImageError(request.name, 'WebP frame extends outside its canvas');
  }
  const inner = webpChunks(request.name, bytes, first.start + 16, first.start + first.length);
  const still = stillWebp(bytes, inner, frameWidth, frameHeight);
  const frame = await verdictOf(request, 'libwebp', codecRefused, () => decodeWebpWasm(still));
  if (frame.width !== frameWidth || frame.height !== frameHeight) {
    throw new CorruptImageError(
      request.name,
      `WebP frame declares ${frameWidth}x${frameHeight} but holds ${frame.width}x${frame.height}`,
    );
  }
  const canvas = new Uint8Array(width * height * 4);
  for (let y = 0; y < frame.height; y++) {
    const row = frame.data.subarray(y * frame.width * 4, (y + 1) * frame.width * 4);
    canvas.set(row, ((y + y0) * width + x0) * 4);
  }
  return fullSize(
    { width, height, data: canvas },
    {
      hasAlpha: hasAnyAlpha(canvas),
      bitDepth: 8,
      colorSpace: 'srgb',
      animated: frames.length > 1,
      frameCount: frames.length,
    },
  );
}

async function decodeWasmRgba(
  request: DecodeRequest,
  label: string,
  decoder: (bytes: Uint8Array) => Promise<Bitmap>,
): Promise<DecodedImage> {
  const image = await verdictOf(request, label, codecRefused, () => decoder(request.bytes));
  return fullSize(image, {
    hasAlpha: hasAnyAlpha(image.data),
    bitDepth: 8,
    colorSpace: 'srgb',
    animated: false,
  });
}

/** HEIF: libheif decodes the primary image, upright (see lib/codecs/heif.ts). */
async function decodeHeif(request: DecodeRequest): Promise<DecodedImage> {
  const image = await verdictOf(request, 'libheif', codecRefused, () =>
    decodeHeifWasm(request.bytes),
  );
  const { width, height, data } = image;
  return fullSize(
    { width, height, data },
    {
      hasAlpha: image.alpha && hasAnyAlpha(data),
      bitDepth: 8,
      colorSpace: 'srgb',
      animated: false,
      upright: true,
    },
  );
}

/**
 * Decodes an image of a sniffed and guarded format into RGBA (or, when `planes` allows it, a
 * shrink-on-load JPEG into planes). Throws CorruptImageError when a decoder refuses the data or
 * would read only part of it; anything else thrown here is not the image's fault (INTERNAL).
 */
export async function decodeImage(
  request: DecodeRequest & { planes?: false },
): Promise<DecodedBitmap>;
export async function decodeImage(request: DecodeRequest): Promise<DecodedImage>;
export async function decodeImage(request: DecodeRequest): Promise<DecodedImage> {
  return DECODERS[request.format](request);
}

/** The decoder of each format. */
const DECODERS: Record<
  ImageFormat,
  (request: DecodeRequest) => Promise<DecodedImage> | DecodedImage
> = {
  jpeg: decodeJpeg,
  png: decodePng,
  gif: decodeGif,
  bmp: decodeBmp,
  tiff: decodeTiff,
  webp: decodeWebp,
  avif: (request) => decodeWasmRgba(request, 'libavif', decodeAvifWasm),
  heif: decodeHeif,
};
