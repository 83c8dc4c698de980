/**
 * Stage 7: the metadata documents. A success record describes the source, the image, its EXIF,
 * the outputs and the time per stage; a failure record has the same envelope and says why.
 * Both are described by schemas/metadata.schema.json.
 */
import { createHash } from 'node:crypto';
import { toImageError } from './errors.js';
import { sniffFormat } from './sniff.js';
import {
  SCHEMA_VERSION,
  type EncodedImage,
  type ExifInfo,
  type FailureRecord,
  type ImageInfo,
  type OutputInfo,
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

function outputInfo(image: EncodedImage): OutputInfo {
  return {
    name: image.name,
    format: image.format,
    width: image.width,
    height: image.height,
    bytes: image.bytes.length,
  };
}

/** The success record of a processed image. */
export function successRecord(parts: {
  source: SourceInfo;
  image: ImageInfo;
  exif: ExifInfo | null;
  output: EncodedImage;
  thumbnail: EncodedImage;
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
    outputs: { output: outputInfo(parts.output), thumbnail: outputInfo(parts.thumbnail) },
    timingsMs: parts.timingsMs,
  };
}

/**
 * The failure record of an input that could not be processed: the same envelope as a success,
 * with `status: "failed"` and the error's code, message and permanence. Never throws.
 */
export function failureRecord(
  source: { name: string; bytes: Uint8Array; declaredContentType?: string | undefined },
  error: unknown,
): FailureRecord {
  const format = sniffFormat(source.bytes);
  return {
    schemaVersion: SCHEMA_VERSION,
    status: 'failed',
    source: {
      name: source.name,
      bytes: source.bytes.length,
      sha256: sha256Hex(source.bytes),
      ...(format ? { format } : {}),
      ...(source.declaredContentType ? { declaredContentType: source.declaredContentType } : {}),
    },
    library: library(),
    processedAt: new Date().toISOString(),
    error: toImageError(source.name, error).toJSON(),
  };
}
