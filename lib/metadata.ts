/**
 * The metadata documents. A success record describes the source, the image, its EXIF, every
 * rendition, the settings that made them (with their fingerprint) and the time per stage; a failure record has the same envelope and says why.
 * Both are described by schemas/metadata.schema.json.
 */
import { createHash } from 'node:crypto';
import { isCodedError, toImageError, type CodedError } from './errors.js';
import { sniffFormat } from './sniff.js';
import {
  SCHEMA_VERSION,
  type EncodedRendition,
  type ExifInfo,
  type FailureRecord,
  type FailureSourceInfo,
  type ImageInfo,
  type RenditionInfo,
  type ResultSettings,
  type SourceInfo,
  type SuccessRecord,
} from './types.js';
import { LIBRARY_NAME, LIBRARY_VERSION } from './version.js';

/** Hex SHA-256 of the bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function library(): SuccessRecord['library'] {
  return { name: LIBRARY_NAME, version: LIBRARY_VERSION };
}

function renditionInfo(rendition: EncodedRendition): RenditionInfo {
  return {
    container: rendition.container,
    name: rendition.name,
    format: rendition.format,
    contentType: rendition.contentType,
    width: rendition.width,
    height: rendition.height,
    bytes: rendition.bytes.length,
  };
}

/** The success record of a processed image. */
export function successRecord(parts: {
  source: SourceInfo;
  image: ImageInfo;
  exif: ExifInfo | null;
  renditions: readonly EncodedRendition[];
  settings: ResultSettings;
  timingsMs: Record<string, number>;
}): SuccessRecord {
  return {
    schemaVersion: SCHEMA_VERSION,
    status: 'succeeded',
    source: parts.source,
    library: library(),
    processedAt: new Date().toISOString(),
    image: parts.image,
    exif: parts.exif,
    renditions: parts.renditions.map(renditionInfo),
    settings: parts.settings,
    timingsMs: parts.timingsMs,
  };
}

/** What an adapter knows of an input that failed, for its failure record. */
export interface FailedSource {
  name: string;
  /** The bytes, when they were read; absent when the input was refused unread (too large). */
  bytes?: Uint8Array;
  /** The input's size as the adapter knows it; recorded only when `bytes` are absent. */
  size?: number;
  declaredContentType?: string;
  /** The source blob's eTag, when the adapter has one. */
  eTag?: string;
}

function failedSourceInfo(source: FailedSource): FailureSourceInfo {
  const { bytes } = source;
  // Refused unread: the size the adapter knows, and no hash or format of bytes never seen.
  const read = bytes === undefined ? { bytes: source.size ?? 0 } : describeBytes(bytes);
  return {
    name: source.name,
    ...read,
    ...(source.declaredContentType ? { declaredContentType: source.declaredContentType } : {}),
    ...(source.eTag === undefined ? {} : { eTag: source.eTag }),
  };
}

function describeBytes(bytes: Uint8Array): Pick<SourceInfo, 'bytes' | 'sha256' | 'format'> {
  const format = sniffFormat(bytes);
  return { bytes: bytes.length, sha256: sha256Hex(bytes), ...(format ? { format } : {}) };
}

/** A typed error (the core's or an adapter's) as it is; anything else through toImageError. */
function errorInfo(name: string, error: unknown): CodedError {
  const coded = isCodedError(error) ? error : toImageError(name, error);
  return { code: coded.code, message: coded.message, permanent: coded.permanent };
}

/**
 * The failure record of an input that could not be processed: the same envelope as a success,
 * with `status: "failed"` and the error's code, message and permanence. Built once, from what
 * the adapter knows: with `bytes`, their length, SHA-256 and sniffed format; without (refused
 * unread), `size` alone. A `CodedError` is recorded as it is (an adapter's codes stay theirs);
 * anything else goes through `toImageError` (`INTERNAL`). Never throws.
 * Example: `failureRecord({ name: 'a.jpg', bytes }, error)`.
 */
export function failureRecord(source: FailedSource, error: unknown): FailureRecord {
  return {
    schemaVersion: SCHEMA_VERSION,
    status: 'failed',
    source: failedSourceInfo(source),
    library: library(),
    processedAt: new Date().toISOString(),
    error: errorInfo(source.name, error),
  };
}
