/**
 * Why the scaled baseline decoder hands a JPEG back to the general codec. A fallback is not
 * an error: the general codec decodes the file, or reports it corrupt in its own words.
 */

/** Reasons the fast path declines a stream; stable, for logs and tests. */
export type JpegFallbackReason =
  /** SOF2/SOF6/SOF10/SOF14: progressive. */
  | 'progressive'
  /** SOF9-SOF15 or DAC: arithmetic coding. */
  | 'arithmetic'
  /** SOF3/SOF7/SOF11/SOF15: lossless. */
  | 'lossless'
  /** SOF5-SOF7, DHP, EXP: hierarchical. */
  | 'hierarchical'
  /** Sample precision other than 8 bits. */
  | 'precision'
  /** Component count other than 1 or 3 (CMYK, YCCK, two-channel). */
  | 'color-space'
  /** Sampling factors we do not upsample (non-integral ratios). */
  | 'sampling'
  /** Declared size over the caller's pixel limit, or zero (DNL). */
  | 'dimensions'
  /** The entropy-coded data ends before the last MCU. */
  | 'truncated'
  /** Anything else out of spec: bad lengths, tables, markers or codes. */
  | 'malformed'
  /** An exception the decoder did not raise itself (a bug, or an allocation that failed). */
  | 'internal';

/** Thrown inside the decoder and caught at its entry point, never seen by callers. */
export class JpegFallback extends Error {
  override readonly name = 'JpegFallback';
  constructor(
    readonly reason: JpegFallbackReason,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
  }
}
