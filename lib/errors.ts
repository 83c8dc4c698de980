/**
 * Typed errors for the imaging core. Callers branch on `code` (stable, documented in the
 * README) or on `permanent`, never on message text. An image that cannot be processed fails
 * with a permanent code that says why; anything else thrown inside the core is a bug, and
 * surfaces as `INTERNAL` (not permanent: worth a retry, and never blamed on the upload).
 */

/**
 * What every typed error of this project carries, the core's and the adapters' alike: a stable
 * code, a message for people, and whether retrying the same input can succeed.
 */
export interface CodedError {
  readonly code: string;
  readonly message: string;
  readonly permanent: boolean;
}

/**
 * True for an Error that carries a string `code` and a boolean `permanent`: an `ImageError`, or
 * an adapter's own typed error, which a failure record then keeps as it is.
 */
export function isCodedError(value: unknown): value is CodedError & Error {
  if (!(value instanceof Error)) return false;
  const { code, permanent } = value as Partial<CodedError>;
  return typeof code === 'string' && typeof permanent === 'boolean';
}

/** Every error code the core can raise. Stable: metadata records and alerts key on them. */
export type ImageErrorCode =
  | 'EMPTY_INPUT'
  | 'UNSUPPORTED_FORMAT'
  | 'TOO_LARGE'
  | 'TOO_MANY_PIXELS'
  | 'CORRUPT_IMAGE'
  | 'TIMEOUT'
  | 'INVALID_OPTION'
  | 'INTERNAL';

/** Base class: a failure with a stable code and a permanent/transient nature. */
export class ImageError extends Error implements CodedError {
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
      `${input} is not a supported image (${detail}); supported formats are JPEG, PNG, GIF, BMP, TIFF, WebP, AVIF and HEIC/HEIF.`,
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

/**
 * An animation asked to stay animated declares more frames than `maxFrames`, or more pixels in
 * all its frames than `maxPixels`; refused before any frame is decoded. Its code is
 * TOO_MANY_PIXELS: the same verdict (too much to decode), so alerts on that code see it.
 */
export class TooManyFramesError extends ImageError {
  override readonly name = 'TooManyFramesError';
  constructor(input: string, detail: string) {
    super(
      'TOO_MANY_PIXELS',
      `${input} ${detail}; keep it as its first frame (no "animated") or raise the limit.`,
    );
  }
}

/** The data is truncated or malformed: a decoder or a header reader said so. */
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

/**
 * Something thrown inside the core that is not a deliberate `ImageError`: a bug (a TypeError in
 * a stage), or a resource that failed (an allocation, a codec that would not load). Not
 * permanent: a retry may succeed, and the image is not to blame. The original error is the
 * `cause`, with its stack.
 */
export class InternalError extends ImageError {
  override readonly name = 'InternalError';
  constructor(input: string, cause: unknown) {
    const detail = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(
      'INTERNAL',
      `Processing ${input} failed on an internal error (${detail}); this is a bug in serverless-img, not a problem with the image.`,
      { permanent: false, cause },
    );
  }
}

/**
 * Any thrown value as an ImageError, so callers see one type: an `ImageError` as it is,
 * anything else as `InternalError` (deliberate failures are typed where they are raised).
 */
export function toImageError(input: string, error: unknown): ImageError {
  if (error instanceof ImageError) return error;
  return new InternalError(input, error);
}
