/**
 * Colour management: find an embedded ICC profile, name it, and convert RGB matrix/TRC profiles
 * (Display P3, Adobe RGB, ProPhoto and the like) to sRGB. The transform runs on the small images,
 * after resizing. Profiles this reader cannot apply (LUT-based, grey, CMYK) go to LittleCMS
 * (colour-engine.ts; colour.ts decides which applies).
 */
import { inflateSync } from 'node:zlib';
import { concatBytes } from './bytes.js';
import { readHeifContainer } from './heif.js';
import { readJpegMarkers, type JpegMarkers } from './jpeg/markers.js';
import { pngChunkCrcMatches, pngChunks } from './png-chunks.js';
import { riffChunks, riffPayload } from './riff.js';
import { readTiffHeader, readTiffIfd, tiffEntries } from './tiff-ifd.js';
import type { Bitmap, ImageFormat } from './types.js';

/** What we read from an ICC profile. */
export interface IccProfile {
  description: string;
  /** Data colour space from the header: 'RGB', 'GRAY', 'CMYK', ... */
  colorSpace: string;
  /** The profile as an RGB to sRGB transform, when it is a matrix/TRC profile other than sRGB. */
  transform?: (bitmap: Bitmap) => Bitmap;
  /** True when the profile describes sRGB itself (nothing to do). */
  isSrgb: boolean;
}

/** TIFF's InterColorProfile tag. */
const ICC_PROFILE_TAG = 34675;

/** Larger embedded profiles are ignored. */
const MAX_PROFILE_BYTES = 16 * 1024 * 1024;

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + length));
}

function jpegProfile(markers: JpegMarkers): Uint8Array | undefined {
  const parts: { sequence: number; data: Uint8Array }[] = [];
  for (const { marker, length, body } of markers.segments) {
    if (marker === 0xe2 && length > 16 && ascii(body, 0, 12) === 'ICC_PROFILE\0') {
      parts.push({ sequence: body[12]!, data: body.subarray(14) });
    }
  }
  if (parts.length === 0) return undefined;
  parts.sort((a, b) => a.sequence - b.sequence);
  return concatBytes(parts.map((part) => part.data));
}

function pngProfile(bytes: Uint8Array): Uint8Array | undefined {
  for (const chunk of pngChunks(bytes)) {
    const { type, data } = chunk;
    if (type === 'IDAT' || type === 'IEND') break;
    if (type === 'iCCP') {
      // A profile whose chunk fails its CRC is not trusted (libpng drops it too).
      if (!pngChunkCrcMatches(bytes, chunk)) return undefined;
      const nameEnd = data.indexOf(0);
      if (nameEnd < 0) return undefined;
      // Capped: a few compressed KB must not inflate into gigabytes (profiles are KBs to ~1 MB).
      return new Uint8Array(
        inflateSync(data.subarray(nameEnd + 2), { maxOutputLength: MAX_PROFILE_BYTES }),
      );
    }
  }
  return undefined;
}

function webpProfile(bytes: Uint8Array): Uint8Array | undefined {
  for (const chunk of riffChunks(bytes)) {
    if (chunk.type === 'ICCP') return riffPayload(bytes, chunk);
  }
  return undefined;
}

function tiffProfile(bytes: Uint8Array): Uint8Array | undefined {
  const header = readTiffHeader(bytes);
  const ifd = header && readTiffIfd(header, header.firstIfd);
  if (!header || !ifd) return undefined;
  for (const entry of tiffEntries(header, ifd)) {
    if (entry.tag !== ICC_PROFILE_TAG) continue;
    const start = header.view.getUint32(entry.offset + 8, header.little);
    return bytes.subarray(start, start + entry.count);
  }
  return undefined;
}

/** Where the other formats that can carry a profile keep it. */
const PROFILE_READERS: Partial<Record<ImageFormat, (bytes: Uint8Array) => Uint8Array | undefined>> =
  {
    png: pngProfile,
    webp: webpProfile,
    tiff: tiffProfile,
    heif: (bytes) => readHeifContainer(bytes).iccProfile,
  };

/**
 * The raw ICC profile embedded in a JPEG, PNG, WebP or TIFF file, if any. A JPEG's segments come
 * from the image's one marker walk when the caller has it (`jpeg`), else are read here.
 */
export function extractIccProfile(
  bytes: Uint8Array,
  format: ImageFormat,
  jpeg?: JpegMarkers,
): Uint8Array | undefined {
  try {
    if (format === 'jpeg') return jpegProfile(jpeg ?? readJpegMarkers(bytes));
    return PROFILE_READERS[format]?.(bytes);
  } catch {
    return undefined; // a damaged profile is ignored, as browsers do
  }
}

type Curve = (value: number) => number;

function s15(view: DataView, offset: number): number {
  return view.getInt32(offset) / 65536;
}

function readCurve(view: DataView, offset: number): Curve | undefined {
  const type = ascii(new Uint8Array(view.buffer, view.byteOffset, view.byteLength), offset, 4);
  if (type === 'curv') {
    const count = view.getUint32(offset + 8);
    if (count === 0) return (x) => x;
    if (count === 1) {
      const gamma = view.getUint16(offset + 12) / 256;
      return (x) => x ** gamma;
    }
    const table = new Float64Array(count);
    for (let i = 0; i < count; i++) table[i] = view.getUint16(offset + 12 + i * 2) / 65535;
    return (x) => {
      const position = Math.min(1, Math.max(0, x)) * (count - 1);
      const i = Math.min(count - 2, Math.floor(position));
      const t = position - i;
      return table[i]! * (1 - t) + table[i + 1]! * t;
    };
  }
  if (type === 'para') {
    const kind = view.getUint16(offset + 8);
    const p = Array.from({ length: 7 }, (_, i) =>
      offset + 12 + i * 4 + 4 <= view.byteLength ? s15(view, offset + 12 + i * 4) : 0,
    );
    const [g, a, b, c, d, e, f] = p as [number, number, number, number, number, number, number];
    switch (kind) {
      case 0:
        return (x) => x ** g;
      case 1:
        return (x) => (x >= -b / a ? (a * x + b) ** g : 0);
      case 2:
        return (x) => (x >= -b / a ? (a * x + b) ** g + c : c);
      case 3:
        return (x) => (x >= d ? (a * x + b) ** g : c * x);
      case 4:
        return (x) => (x >= d ? (a * x + b) ** g + e : c * x + f);
      default:
        return undefined;
    }
  }
  return undefined;
}

function readDescription(
  bytes: Uint8Array,
  view: DataView,
  offset: number,
  size: number,
): string | undefined {
  const type = ascii(bytes, offset, 4);
  if (type === 'desc') {
    const length = view.getUint32(offset + 8);
    return ascii(bytes, offset + 12, Math.max(0, Math.min(length, size - 12))).replace(/\0+$/, '');
  }
  if (type === 'mluc') {
    const records = view.getUint32(offset + 8);
    if (records === 0) return undefined;
    const length = view.getUint32(offset + 20);
    const start = offset + view.getUint32(offset + 24);
    let text = '';
    for (let i = 0; i + 1 < length; i += 2) text += String.fromCharCode(view.getUint16(start + i));
    return text.replace(/\0+$/, '');
  }
  if (type === 'text') return ascii(bytes, offset + 8, size - 8).replace(/\0+$/, '');
  return undefined;
}

/** XYZ (D50, the ICC connection space) to linear sRGB, Bradford-adapted. */
const XYZ_D50_TO_LINEAR_SRGB = [
  [3.1338561, -1.6168667, -0.4906146],
  [-0.9787684, 1.9161415, 0.033454],
  [0.0719453, -0.2289914, 1.4052427],
];

function srgbEncode(linear: number): number {
  const x = Math.min(1, Math.max(0, linear));
  return x <= 0.0031308 ? 12.92 * x : 1.055 * x ** (1 / 2.4) - 0.055;
}
function srgbDecode(value: number): number {
  return value <= 0.04045 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
}

function buildTransform(
  matrix: number[][],
  curves: Curve[],
): { transform: IccProfile['transform']; identity: boolean } {
  const inputs = curves.map((curve) =>
    Float32Array.from({ length: 256 }, (_, v) => curve(v / 255)),
  );
  const OUTPUT_STEPS = 4096;
  const output = Uint8Array.from({ length: OUTPUT_STEPS + 1 }, (_, i) =>
    Math.round(srgbEncode(i / OUTPUT_STEPS) * 255),
  );
  let identity = true;
  for (let row = 0; row < 3; row++) {
    for (let column = 0; column < 3; column++) {
      if (Math.abs(matrix[row]![column]! - (row === column ? 1 : 0)) > 0.02) identity = false;
    }
  }
  for (const input of inputs) {
    for (const v of [32, 96, 160, 224])
      if (Math.abs(input[v]! - srgbDecode(v / 255)) > 0.01) identity = false;
  }
  const [m0, m1, m2] = matrix as [number[], number[], number[]];
  const [inR, inG, inB] = inputs as [Float32Array, Float32Array, Float32Array];
  const transform = (bitmap: Bitmap): Bitmap => {
    const data = new Uint8Array(bitmap.data);
    for (let i = 0; i < data.length; i += 4) {
      const r = inR[data[i]!]!;
      const g = inG[data[i + 1]!]!;
      const b = inB[data[i + 2]!]!;
      const step = (value: number) =>
        output[Math.round(Math.min(1, Math.max(0, value)) * OUTPUT_STEPS)]!;
      data[i] = step(m0[0]! * r + m0[1]! * g + m0[2]! * b);
      data[i + 1] = step(m1[0]! * r + m1[1]! * g + m1[2]! * b);
      data[i + 2] = step(m2[0]! * r + m2[1]! * g + m2[2]! * b);
    }
    return { width: bitmap.width, height: bitmap.height, data };
  };
  return { transform, identity };
}

/**
 * Reads an ICC profile's description and, for RGB matrix/TRC profiles, builds the transform to
 * sRGB. Returns undefined for data that is not an ICC profile.
 */
export function parseIccProfile(profile: Uint8Array): IccProfile | undefined {
  if (profile.length < 132 || ascii(profile, 36, 4) !== 'acsp') return undefined;
  const view = new DataView(profile.buffer, profile.byteOffset, profile.byteLength);
  const colorSpace = ascii(profile, 16, 4).trim();
  const tags = new Map<string, { offset: number; size: number }>();
  const count = Math.min(view.getUint32(128), 1000);
  for (let i = 0; i < count && 132 + i * 12 + 12 <= profile.length; i++) {
    const entry = 132 + i * 12;
    const offset = view.getUint32(entry + 4);
    const size = view.getUint32(entry + 8);
    if (offset + size <= profile.length) tags.set(ascii(profile, entry, 4), { offset, size });
  }
  let description = 'unnamed profile';
  const desc = tags.get('desc');
  try {
    if (desc) description = readDescription(profile, view, desc.offset, desc.size) ?? description;
  } catch {
    // keep the default name
  }
  const result: IccProfile = { description, colorSpace, isSrgb: /\bsrgb\b/i.test(description) };
  if (colorSpace !== 'RGB' || result.isSrgb || tags.has('A2B0')) return result;
  const columns = ['rXYZ', 'gXYZ', 'bXYZ'].map((tag) => tags.get(tag));
  const curveTags = ['rTRC', 'gTRC', 'bTRC'].map((tag) => tags.get(tag));
  if (columns.some((tag) => !tag) || curveTags.some((tag) => !tag)) return result;
  try {
    const xyz = columns.map((tag) => [0, 1, 2].map((k) => s15(view, tag!.offset + 8 + k * 4)));
    const curves = curveTags.map((tag) => readCurve(view, tag!.offset));
    if (curves.some((curve) => !curve)) return result;
    // profile RGB -> XYZ: columns are the primaries; then XYZ -> linear sRGB.
    const matrix = XYZ_D50_TO_LINEAR_SRGB.map((row) =>
      [0, 1, 2].map(
        (column) =>
          row[0]! * xyz[column]![0]! + row[1]! * xyz[column]![1]! + row[2]! * xyz[column]![2]!,
      ),
    );
    const { transform, identity } = buildTransform(matrix, curves as Curve[]);
    if (identity) return { ...result, isSrgb: true };
    return { ...result, ...(transform ? { transform } : {}) };
  } catch {
    return result;
  }
}
