/**
 * Shrink-on-load JPEG decoding: a baseline decoder that runs the inverse DCT at 4/8, 3/8, 2/8
 * or 1/8 size, and the rule that picks the scale. Everything else falls back to the general codec.
 */
export {
  decodeScaledJpeg,
  type JpegDecodeOptions,
  type JpegDecodeResult,
  type JpegFallbackReason,
  type JpegScale,
  type ScaledJpeg,
} from './decoder.js';
export { chooseJpegScale, RESAMPLE_MARGIN } from './scale.js';
