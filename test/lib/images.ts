/**
 * Test images made in memory: RGBA bitmaps from a pixel function, encoded with the project's
 * own WASM codecs, and a small EXIF (TIFF) writer to attach orientation, camera and GPS tags.
 */
import { decodeGifFirstFrame } from '../../lib/gif.js';
import {
  decodeAvifWasm,
  decodeJpegWasm,
  decodePngWasm,
  decodeWebpWasm,
  encodeJpegWasm,
  encodePngWasm,
} from '../../lib/codecs/index.js';
import type {
  Bitmap,
  EncodedRendition,
  ImageFormat,
  OutputFormat,
  ProcessResult,
} from '../../lib/types.js';
import { crc32 } from 'node:zlib';

export type Rgba = [number, number, number, number];

/** A bitmap whose pixel (x, y) is `paint(x, y)`. */
export function bitmap(
  width: number,
  height: number,
  paint: (x: number, y: number) => Rgba,
): Bitmap {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(paint(x, y), (y * width + x) * 4);
  }
  return { width, height, data };
}

export const RED: Rgba = [255, 0, 0, 255];
export const GREEN: Rgba = [0, 255, 0, 255];
export const BLUE: Rgba = [0, 0, 255, 255];
export const WHITE: Rgba = [255, 255, 255, 255];

/** Red top-left, green top-right, blue bottom-left, white bottom-right. */
export function quadrants(width: number, height: number): Bitmap {
  return bitmap(width, height, (x, y) => {
    const right = x >= width / 2;
    const bottom = y >= height / 2;
    return bottom ? (right ? WHITE : BLUE) : right ? GREEN : RED;
  });
}

/** Smooth gradients plus deterministic noise: photo-like content that compresses like a photo. */
export function photoLike(width: number, height: number): Bitmap {
  let seed = 7;
  return bitmap(width, height, (x, y) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const noise = (seed >> 16) % 24;
    return [
      ((x * 255) / width + noise) & 255,
      ((y * 255) / height + noise) & 255,
      ((x + y) % 256) ^ noise,
      255,
    ];
  });
}

const asClamped = (image: Bitmap) => ({
  width: image.width,
  height: image.height,
  data: new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.byteLength),
});

export async function jpegOf(image: Bitmap, quality = 95): Promise<Uint8Array> {
  return encodeJpegWasm(asClamped(image), quality);
}

export async function pngOf(image: Bitmap): Promise<Uint8Array> {
  return encodePngWasm(asClamped(image));
}

/** Decodes a rendition of any format we write, for inspection. */
export async function decodeOutput(bytes: Uint8Array, format: OutputFormat): Promise<Bitmap> {
  switch (format) {
    case 'jpeg':
      return (await decodeJpegWasm(bytes)).image;
    case 'png':
      return decodePngWasm(bytes);
    case 'webp':
      return decodeWebpWasm(bytes);
    case 'avif':
      return decodeAvifWasm(bytes);
    case 'gif':
      return decodeGifFirstFrame(bytes, 'output.gif');
  }
}

/**
 * The format the `auto` policy must write for an input, as the issue states it (written again
 * here, not taken from the library): JPEG, PNG, WebP and AVIF stay as they are; GIF, BMP and
 * TIFF become PNG when any pixel is transparent, else JPEG.
 */
export function autoFormat(input: ImageFormat | undefined, hasAlpha: boolean): OutputFormat {
  if (input === 'jpeg' || input === 'png' || input === 'webp' || input === 'avif') return input;
  return hasAlpha ? 'png' : 'jpeg';
}

/** The rendition of `result` written to `container` ('output' and 'thumbnails' by default). */
export function renditionIn(result: ProcessResult, container: string): EncodedRendition {
  const rendition = result.renditions.find((candidate) => candidate.container === container);
  if (!rendition) throw new Error(`no rendition for ${container}`);
  return rendition;
}

/** The RGBA of pixel (x, y). */
export function pixel(image: Bitmap, x: number, y: number): Rgba {
  const i = (Math.round(y) * image.width + Math.round(x)) * 4;
  return [image.data[i]!, image.data[i + 1]!, image.data[i + 2]!, image.data[i + 3]!];
}

/** True when every channel is within `tolerance` of the expected colour. */
export function near(actual: Rgba, expected: Rgba, tolerance = 24): boolean {
  return actual.every((value, i) => Math.abs(value - expected[i]!) <= tolerance);
}

/** One TIFF tag: ASCII text, SHORT or LONG numbers, or RATIONALs as [numerator, denominator] pairs. */
export type Tag =
  | { tag: number; ascii: string }
  | { tag: number; short: number[] }
  | { tag: number; long: number[] }
  | { tag: number; rational: [number, number][] }
  | { tag: number; byte: number[] };

/** Camera-like EXIF: IFD0 tags, the Exif sub-IFD and the GPS IFD (big-endian TIFF). */
export interface ExifSpec {
  ifd0?: Tag[];
  exif?: Tag[];
  gps?: Tag[];
}

function ifdBytes(tags: Tag[], start: number): Uint8Array {
  // Entries, then the out-of-line values.
  const sorted = [...tags].sort((a, b) => a.tag - b.tag);
  const head = 2 + sorted.length * 12 + 4;
  const out: number[] = [];
  const extra: number[] = [];
  const u16 = (target: number[], v: number) => target.push((v >> 8) & 255, v & 255);
  const u32 = (target: number[], v: number) =>
    target.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
  u16(out, sorted.length);
  for (const tag of sorted) {
    let type: number;
    let count: number;
    const value: number[] = [];
    if ('ascii' in tag) {
      type = 2;
      value.push(...Array.from(tag.ascii, (c) => c.charCodeAt(0)), 0);
      count = value.length;
    } else if ('short' in tag) {
      type = 3;
      tag.short.forEach((v) => u16(value, v));
      count = tag.short.length;
    } else if ('long' in tag) {
      type = 4;
      tag.long.forEach((v) => u32(value, v));
      count = tag.long.length;
    } else if ('byte' in tag) {
      type = 1;
      value.push(...tag.byte);
      count = tag.byte.length;
    } else {
      type = 5;
      tag.rational.forEach(([n, d]) => {
        u32(value, n);
        u32(value, d);
      });
      count = tag.rational.length;
    }
    u16(out, tag.tag);
    u16(out, type);
    u32(out, count);
    if (value.length <= 4) {
      out.push(...value, ...new Array(4 - value.length).fill(0));
    } else {
      u32(out, start + head + extra.length);
      extra.push(...value);
      if (extra.length % 2) extra.push(0);
    }
  }
  u32(out, 0);
  return Uint8Array.from([...out, ...extra]);
}

/** A TIFF structure (the payload of an EXIF block) with IFD0 and optional Exif and GPS IFDs. */
export function tiffExif(spec: ExifSpec): Uint8Array {
  const header = [0x4d, 0x4d, 0, 42, 0, 0, 0, 8];
  const ifd0Tags = [...(spec.ifd0 ?? [])];
  // Pointers are LONGs whose values are known only after IFD0's size is, so lay IFD0 out twice.
  const pointers = (exifAt: number, gpsAt: number): Tag[] => [
    ...(spec.exif ? [{ tag: 0x8769, long: [exifAt] }] : []),
    ...(spec.gps ? [{ tag: 0x8825, long: [gpsAt] }] : []),
  ];
  const draft = ifdBytes([...ifd0Tags, ...pointers(0, 0)], 8);
  const exifAt = 8 + draft.length;
  const exifIfd = spec.exif ? ifdBytes(spec.exif, exifAt) : new Uint8Array(0);
  const gpsAt = exifAt + exifIfd.length;
  const gpsIfd = spec.gps ? ifdBytes(spec.gps, gpsAt) : new Uint8Array(0);
  const ifd0 = ifdBytes([...ifd0Tags, ...pointers(exifAt, gpsAt)], 8);
  return Uint8Array.from([...header, ...ifd0, ...exifIfd, ...gpsIfd]);
}

/** Inserts an APP1 Exif segment right after SOI. */
export function withExif(jpeg: Uint8Array, spec: ExifSpec): Uint8Array {
  const payload = Uint8Array.from([
    ...Array.from('Exif', (c) => c.charCodeAt(0)),
    0,
    0,
    ...tiffExif(spec),
  ]);
  const length = payload.length + 2;
  return Uint8Array.from([
    0xff,
    0xd8,
    0xff,
    0xe1,
    length >> 8,
    length & 255,
    ...payload,
    ...jpeg.subarray(2),
  ]);
}

/** Inserts an APP2 ICC_PROFILE segment right after SOI. */
export function withIccProfile(jpeg: Uint8Array, profile: Uint8Array): Uint8Array {
  const payload = Uint8Array.from([
    ...Array.from('ICC_PROFILE', (c) => c.charCodeAt(0)),
    0,
    1,
    1,
    ...profile,
  ]);
  const length = payload.length + 2;
  return Uint8Array.from([
    0xff,
    0xd8,
    0xff,
    0xe2,
    length >> 8,
    length & 255,
    ...payload,
    ...jpeg.subarray(2),
  ]);
}

/** Orientation tag only. */
export function orientationExif(orientation: number): ExifSpec {
  return { ifd0: [{ tag: 0x0112, short: [orientation] }] };
}

/** A PNG chunk with its CRC. */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const body = Uint8Array.from([...Array.from(type, (c) => c.charCodeAt(0)), ...data]);
  const crc = crc32(body);
  const length = data.length;
  return Uint8Array.from([
    (length >>> 24) & 255,
    (length >>> 16) & 255,
    (length >>> 8) & 255,
    length & 255,
    ...body,
    (crc >>> 24) & 255,
    (crc >>> 16) & 255,
    (crc >>> 8) & 255,
    crc & 255,
  ]);
}

export const PNG_SIGNATURE = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
