/**
 * EXIF, normalised to readable units (seconds, millimetres, decimal degrees, ISO 8601).
 * Read with exifr: it covers JPEG, TIFF, PNG (eXIf) and AVIF/HEIF, keeps the OffsetTime* tags
 * that make `takenAt` exact, and is maintained; exif-parser reads JPEG only and drops the offsets.
 * A damaged EXIF block never fails the image: it reads as "no EXIF".
 */
import type exifrModule from 'exifr';
import { hasDamagedPngChunk } from './png-chunks.js';
import { readHeifContainer, type HeifContainer } from './heif.js';
import { riffChunks, riffPayload } from './riff.js';
import type { ExifInfo, ImageFormat } from './types.js';

type Exifr = typeof exifrModule;
// exifr's lite bundle (JPEG, HEIF/AVIF) loads in a quarter of the full one's time; the full
// bundle (PNG, TIFF) is imported only when such a file comes. A variable specifier: the
// bundles have no typings of their own, they share exifr's.
const LITE = 'exifr/dist/lite.esm.mjs';
const FULL = 'exifr/dist/full.esm.mjs';
const bundles = new Map<string, Promise<Exifr>>();
function exifrFor(format: ImageFormat): Promise<Exifr> {
  const specifier = format === 'jpeg' || format === 'avif' ? LITE : FULL;
  let bundle = bundles.get(specifier);
  if (!bundle) {
    bundle = import(specifier).then((module: { default: Exifr }) => module.default);
    bundles.set(specifier, bundle);
  }
  return bundle;
}

/** What the metadata and orient stages need from EXIF. */
export interface ExifRead {
  exif: ExifInfo | null;
  /** EXIF orientation 1-8 (1 when absent or out of range). */
  orientation: number;
}

const OPTIONS = {
  tiff: true,
  exif: true,
  gps: true,
  ifd1: false,
  interop: false,
  xmp: false,
  icc: false,
  iptc: false,
  jfif: false,
  ihdr: false,
  translateValues: false,
  reviveValues: false,
  mergeOutput: true,
  silentErrors: true,
};

type RawExif = Record<string, unknown>;

function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.replace(/\0+$/, '').trim();
  return trimmed.length > 0 ? trimmed : undefined;
}

function positive(value: unknown): number | undefined {
  const number = Array.isArray(value) ? value[0] : value;
  return typeof number === 'number' && Number.isFinite(number) && number > 0 ? number : undefined;
}

/** "2024:05:06 07:08:09" + ".123" + "+02:00" -> "2024-05-06T07:08:09.123+02:00". */
function isoDate(date: unknown, subSeconds: unknown, offset: unknown): string | undefined {
  const match =
    typeof date === 'string'
      ? /^(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})/.exec(date)
      : null;
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second] = match;
  if (year === '0000' || month === '00' || day === '00') return undefined;
  // A damaged block can hold any digits: keep only a date-time that ISO 8601 allows.
  if (Number(month) > 12 || Number(day) > 31 || Number(hour) > 23) return undefined;
  if (Number(minute) > 59 || Number(second) > 59) return undefined;
  const fraction =
    typeof subSeconds === 'string' || typeof subSeconds === 'number'
      ? String(subSeconds).trim()
      : '';
  const zone =
    typeof offset === 'string' && /^[+-](0\d|1[0-4]):[0-5]\d$/.test(offset.trim())
      ? offset.trim()
      : '';
  const fractionPart = /^\d+$/.test(fraction) ? `.${fraction.slice(0, 3)}` : '';
  return `${year}-${month}-${day}T${hour}:${minute}:${second}${fractionPart}${zone}`;
}

function degrees(value: unknown, reference: unknown, negative: string): number | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const [d = 0, m = 0, s = 0] = value.map(Number);
  if (![d, m, s].every(Number.isFinite)) return undefined;
  const decimal = d + m / 60 + s / 3600;
  const sign =
    typeof reference === 'string' && reference.trim().toUpperCase() === negative ? -1 : 1;
  return Math.round(sign * decimal * 1e7) / 1e7;
}

function gpsOf(raw: RawExif): ExifInfo['gps'] {
  const latitude = degrees(raw['GPSLatitude'], raw['GPSLatitudeRef'], 'S');
  const longitude = degrees(raw['GPSLongitude'], raw['GPSLongitudeRef'], 'W');
  if (latitude === undefined || longitude === undefined) return undefined;
  if (Math.abs(latitude) > 90 || Math.abs(longitude) > 180) return undefined;
  const altitudeValue = raw['GPSAltitude'];
  const reference = raw['GPSAltitudeRef'];
  const below = (reference instanceof Uint8Array ? reference[0] : reference) === 1;
  const altitude =
    typeof altitudeValue === 'number' && Number.isFinite(altitudeValue)
      ? below
        ? -altitudeValue
        : altitudeValue
      : undefined;
  return { latitude, longitude, ...(altitude === undefined ? {} : { altitude }) };
}

/** Normalises exifr's raw tags into ExifInfo; null when none of our fields is present. */
export function normaliseExif(raw: RawExif, includeGps: boolean): ExifInfo | null {
  const lensMake = text(raw['LensMake']);
  const lensModel = text(raw['LensModel']) ?? text(raw['Lens']);
  const lens =
    lensModel && lensMake && !lensModel.startsWith(lensMake)
      ? `${lensMake} ${lensModel}`
      : lensModel;
  const takenAt =
    isoDate(
      raw['DateTimeOriginal'],
      raw['SubSecTimeOriginal'],
      raw['OffsetTimeOriginal'] ?? raw['OffsetTime'],
    ) ??
    isoDate(
      raw['CreateDate'],
      raw['SubSecTimeDigitized'],
      raw['OffsetTimeDigitized'] ?? raw['OffsetTime'],
    ) ??
    isoDate(raw['ModifyDate'], raw['SubSecTime'], raw['OffsetTime']);
  const exif: ExifInfo = {};
  const make = text(raw['Make']);
  const model = text(raw['Model']);
  if (make) exif.make = make;
  if (model) exif.model = model;
  if (lens) exif.lens = lens;
  if (takenAt) exif.takenAt = takenAt;
  const exposureTime = positive(raw['ExposureTime']);
  const fNumber = positive(raw['FNumber']);
  const iso = positive(raw['ISO'] ?? raw['ISOSpeedRatings'] ?? raw['PhotographicSensitivity']);
  const focalLength = positive(raw['FocalLength']);
  if (exposureTime !== undefined) exif.exposureTime = exposureTime;
  if (fNumber !== undefined) exif.fNumber = fNumber;
  if (iso !== undefined) exif.iso = iso;
  if (focalLength !== undefined) exif.focalLength = focalLength;
  if (includeGps) {
    const gps = gpsOf(raw);
    if (gps) exif.gps = gps;
  }
  return Object.keys(exif).length > 0 ? exif : null;
}

/** The EXIF payload (a TIFF structure) of a WebP file's EXIF chunk; exifr does not read WebP. */
function webpExif(bytes: Uint8Array): Uint8Array | undefined {
  for (const chunk of riffChunks(bytes)) {
    if (chunk.type !== 'EXIF') continue;
    const payload = riffPayload(bytes, chunk);
    const exifHeader = payload[0] === 0x45 && payload[1] === 0x78; // "Exif\0\0" prefix
    return exifHeader ? payload.subarray(6) : payload;
  }
  return undefined;
}

/** A HEIF file's container, or undefined when it cannot be read (the guard has said so). */
function heifContainer(bytes: Uint8Array): HeifContainer | undefined {
  try {
    return readHeifContainer(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Reads EXIF (and the orientation) from any format that carries it; GIF and BMP have none.
 * HEIF: the EXIF item's TIFF structure, and the orientation of the container's `irot`/`imir`,
 * which the HEIF specification makes authoritative (an EXIF Orientation tag there describes
 * the same turn, and applying both would turn the picture twice).
 */
export async function readExif(
  bytes: Uint8Array,
  format: ImageFormat,
  includeGps: boolean,
): Promise<ExifRead> {
  const heif = format === 'heif' ? heifContainer(bytes) : undefined;
  const read = await readExifFields(format === 'heif' ? heif?.exif : bytes, format, includeGps);
  return heif ? { exif: read.exif, orientation: heif.orientation } : read;
}

async function readExifFields(
  bytes: Uint8Array | undefined,
  format: ImageFormat,
  includeGps: boolean,
): Promise<ExifRead> {
  const none: ExifRead = { exif: null, orientation: 1 };
  if (!bytes || format === 'gif' || format === 'bmp') return none;
  // An eXIf chunk that fails its CRC is damaged: no EXIF rather than wrong EXIF (or orientation).
  if (format === 'png' && hasDamagedPngChunk(bytes, 'eXIf')) return none;
  const source = format === 'webp' ? webpExif(bytes) : bytes;
  if (!source) return none;
  let raw: RawExif | undefined;
  try {
    const exifr = await exifrFor(format);
    raw = (await exifr.parse(source, OPTIONS)) as RawExif | undefined;
  } catch {
    return none;
  }
  if (!raw) return none;
  const value = raw['Orientation'];
  const orientation =
    typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 8 ? value : 1;
  return { exif: normaliseExif(raw, includeGps), orientation };
}
