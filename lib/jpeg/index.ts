/**
 * Our JPEG codec: shrink-on-load decoding (a baseline decoder that runs the inverse DCT at 8/8,
 * 4/8, 3/8, 2/8 or 1/8 size, and the rule that picks the scale; everything else falls back to
 * the general codec) and the baseline encoder. Their inner loops are WebAssembly (wasm/).
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
export { encodeBaselineJpeg, type RgbaImage } from './encoder.js';
