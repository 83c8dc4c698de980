/**
 * Typed errors for the imaging core. Callers branch on `code` (stable, documented in the
 * README) or on `permanent`, never on message text.
 */

/** Every error code the core can raise. Stable: metadata records and alerts key on them. */
export type ImageErrorCode =
  | 'EMPTY_INPUT'
  | 'UNSUPPORTED_FORMAT'
  | 'TOO_LARGE'
  | 'TOO_MANY_PIXELS'
  | 'CORRUPT_IMAGE'
  | 'TIMEOUT'
  | 'INVALID_OPTION';

/** Base class: a failure with a stable code and a permanent/transient nature. */
export class ImageError extends Error {
  override readonly name: string = 'ImageError';
  /** Retrying the same input cannot succeed when true. */
  readonly permanent: boolean;

  constructor(
    readonly code: ImageErrorCode,
    message: string,
    options: { permanent?: boolean; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.permanent = options.permanent ?? true;
  }

  /** A plain object for logs and metadata records. */
  toJSON(): { code: ImageErrorCode; message: string; permanent: boolean } {
    return { code: this.code, message: this.message, permanent: this.permanent };
  }
}

/** The input has no bytes at all. */
export class EmptyInputError extends ImageError {
  override readonly name = 'EmptyInputError';
  constructor(input: string) {
    super('EMPTY_INPUT', `${input} is empty (0 bytes); upload the image again.`);
  }
}

/** The bytes are not an image format we read (detected from magic bytes, never the name). */
export class UnsupportedFormatError extends ImageError {
  override readonly name = 'UnsupportedFormatError';
  constructor(input: string, detail: string) {
    super(
      'UNSUPPORTED_FORMAT',
      `${input} is not a supported image (${detail}); supported formats are JPEG, PNG, GIF, BMP, TIFF, WebP and AVIF.`,
    );
  }
}

/** The input has more bytes than the configured limit. */
export class TooLargeError extends ImageError {
  override readonly name = 'TooLargeError';
  constructor(input: string, bytes: number, maxBytes: number) {
    super(
      'TOO_LARGE',
      `${input} is ${bytes} bytes, over the limit of ${maxBytes} bytes (maxBytes); upload a smaller file or raise the limit.`,
    );
  }
}

/** The header declares more pixels than the configured limit; refused before decoding. */
export class TooManyPixelsError extends ImageError {
  override readonly name = 'TooManyPixelsError';
  constructor(input: string, width: number, height: number, maxPixels: number) {
    super(
      'TOO_MANY_PIXELS',
      `${input} declares ${width}x${height} = ${width * height} pixels, over the limit of ${maxPixels} (maxPixels); resize it before uploading or raise the limit.`,
    );
  }
}

/** The data is truncated or malformed. */
export class CorruptImageError extends ImageError {
  override readonly name = 'CorruptImageError';
  constructor(input: string, detail: string, cause?: unknown) {
    super(
      'CORRUPT_IMAGE',
      `${input} is corrupt or truncated (${detail}); re-export or re-upload it.`,
      {
        cause,
      },
    );
  }
}

/** Processing took longer than the per-image time limit. */
export class ImageTimeoutError extends ImageError {
  override readonly name = 'ImageTimeoutError';
  constructor(input: string, timeoutMs: number) {
    super(
      'TIMEOUT',
      `${input} took longer than ${timeoutMs} ms to process (timeoutMs); it may be pathological or need a higher limit.`,
    );
  }
}

/** An option has the wrong type or range. One message shape for every option. */
export class InvalidOptionError extends ImageError {
  override readonly name = 'InvalidOptionError';
  constructor(name: string, expected: string, actual: unknown) {
    super(
      'INVALID_OPTION',
      `Expected ${expected} for ${name} but received ${String(actual)} of type ${typeof actual}`,
    );
  }
}

/** Wraps anything thrown into an ImageError, so callers see one type. */
export function toImageError(input: string, error: unknown): ImageError {
  if (error instanceof ImageError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new CorruptImageError(input, detail, error);
}
