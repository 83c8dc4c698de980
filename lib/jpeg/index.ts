/**
 * Shrink-on-load JPEG decoding: a baseline decoder that runs the inverse DCT at 8/8, 4/8, 3/8,
 * 2/8 or 1/8 size, and the rule that picks the scale. Everything else falls back to the general
 * codec.
 */
export {
  decodeScaledJpeg,
  decodeScaledJpegPlanes,
  type JpegDecodeOptions,
  type JpegDecodeResult,
  type JpegFallbackReason,
  type JpegPlane,
  type JpegPlanesOptions,
  type JpegPlanesResult,
  type JpegScale,
  type ScaledJpeg,
  type ScaledJpegPlanes,
} from './decoder.js';
export { chooseJpegScale, PLANE_MARGIN, RESAMPLE_MARGIN } from './scale.js';
