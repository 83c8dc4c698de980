/**
 * The shapes the core returns. The metadata document is also described by
 * `schemas/metadata.schema.json`; keep the two in step and bump `SCHEMA_VERSION` on a change.
 */
import type { ImageErrorCode } from './errors.js';
import type { RenditionSpec } from './renditions.js';

/**
 * Version of the metadata document's shape. 2: `renditions` and `settings` replace `outputs`
 * (results keep the input's name whatever their format). 3: the image's `placeholder`,
 * `dominantColor` and `perceptualHash`, and a rendition's crop `position`.
 */
export const SCHEMA_VERSION = 3 as const;

/** Formats we detect from magic bytes. */
export type ImageFormat = 'jpeg' | 'png' | 'gif' | 'bmp' | 'tiff' | 'webp' | 'avif' | 'heif';

/**
 * Formats we write (see `RenditionFormat` for how one is chosen); GIF only for an `animated`
 * rendition of an animated GIF (lib/animation/).
 */
export type OutputFormat = 'jpeg' | 'png' | 'webp' | 'avif' | 'gif';

/** The Content-Type of each format we write. */
export type OutputContentType =
  'image/jpeg' | 'image/png' | 'image/webp' | 'image/avif' | 'image/gif';

/** An 8-bit RGBA bitmap, row-major, 4 bytes per pixel: what decoders return and stages pass on. */
export interface Bitmap {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
}

/** One encoded rendition: where it goes, what it is, and its bytes. */
export interface EncodedRendition {
  /** The rendition's container (or the CLI's folder). */
  container: string;
  /** The input's name, unchanged (see `naming.ts`). */
  name: string;
  format: OutputFormat;
  /** The Content-Type to store it with: its real format, whatever its name says. */
  contentType: OutputContentType;
  width: number;
  height: number;
  bytes: Uint8Array;
}

/** What we know about the source blob or file. */
export interface SourceInfo {
  name: string;
  bytes: number;
  sha256: string;
  /** Detected from magic bytes; absent when detection failed. */
  format?: ImageFormat;
  declaredContentType?: string;
  /** Set by the storage adapter: the source blob's eTag these results were made from. */
  eTag?: string;
}

/** What we know about the decoded image. */
export interface ImageInfo {
  width: number;
  height: number;
  /** EXIF orientation 1-8 (1 when absent). */
  orientation: number;
  hasAlpha: boolean;
  bitDepth: number;
  colorSpace: 'srgb' | 'rgb' | 'cmyk' | 'ycck' | 'gray' | 'palette' | 'unknown';
  /** Name of an embedded ICC profile, when there is one. */
  iccProfile?: string;
  /** True when the embedded profile was applied to convert the outputs to sRGB. */
  iccApplied?: boolean;
  /**
   * Why an embedded profile was not applied (it could not be parsed, or does not describe these
   * pixels): the outputs were converted as if there were no profile.
   */
  iccWarning?: string;
  animated: boolean;
  frameCount?: number;
  progressive?: boolean;
  /** A ThumbHash to show while the image loads, and its average colour (lib/placeholder.ts). */
  placeholder?: { thumbhash: string; averageColor: string };
  /** `#rrggbb`: the colour of the largest cluster of similar pixels (lib/dominant-color.ts). */
  dominantColor?: string;
  /** 16 hex digits: a 64-bit DCT hash for near-duplicates (lib/perceptual-hash.ts). */
  perceptualHash?: string;
}

/** EXIF normalised to readable units; absent fields were not in the file. */
export interface ExifInfo {
  make?: string;
  model?: string;
  lens?: string;
  /** ISO 8601, with the offset when the file records one. */
  takenAt?: string;
  /** Seconds. */
  exposureTime?: number;
  fNumber?: number;
  iso?: number;
  /** Millimetres. */
  focalLength?: number;
  gps?: { latitude: number; longitude: number; altitude?: number };
}

/** One rendition as the metadata document records it: an `EncodedRendition` with its size. */
export type RenditionInfo = Omit<EncodedRendition, 'bytes'> & { bytes: number };

/** The settings that made a success record's renditions. */
export interface ResultSettings {
  /** `renditionsFingerprint` of the options: differs when the results would. */
  fingerprint: string;
  /** The renditions asked for, every field set, in the order of `renditions`. */
  renditions: RenditionSpec[];
}

/** What a failure record knows about its source: no hash when it was refused unread. */
export type FailureSourceInfo = Omit<SourceInfo, 'sha256'> & { sha256?: string };

/** Common envelope of success and failure records. */
interface RecordEnvelope<Source> {
  schemaVersion: typeof SCHEMA_VERSION;
  source: Source;
  library: { name: string; version: string };
  processedAt: string;
}

/** The metadata document of an image that was processed. */
export interface SuccessRecord extends RecordEnvelope<SourceInfo> {
  status: 'succeeded';
  image: ImageInfo;
  exif: ExifInfo | null;
  /** Every rendition, in the order the options list them. */
  renditions: RenditionInfo[];
  settings: ResultSettings;
  /**
   * Milliseconds per stage (sniff, guard, exif, decode, resize, colour, orient, thumbnail,
   * encode, metadata).
   */
  timingsMs: Record<string, number>;
}

/** The metadata document of an input that could not be processed, saying why. */
export interface FailureRecord extends RecordEnvelope<FailureSourceInfo> {
  status: 'failed';
  error: { code: ImageErrorCode | string; message: string; permanent: boolean };
}

export type MetadataRecord = SuccessRecord | FailureRecord;

/** Everything `processImage` returns. */
export interface ProcessResult {
  /** One per rendition of the options, in their order. */
  renditions: EncodedRendition[];
  metadata: SuccessRecord;
}
