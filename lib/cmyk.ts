/**
 * CMYK and YCCK JPEGs through their embedded CMYK profile, as sharp (libvips) converts them:
 * lib/jpeg decodes the four planes (shrinking on load like any baseline JPEG), they are brought
 * onto one grid and turned into ink amounts (Adobe's inverted CMYK, and YCCK's YCbCr-coded
 * C, M, Y, undone), and LittleCMS converts them to sRGB (colour-engine.ts). Whatever this path
 * cannot take says why, and the decode stage converts without the profile as before.
 */
import { srgbTransformOf } from './colour-engine.js';
import { extractIccProfile } from './icc.js';
import { YCC_TO_RGB } from './jpeg/color.js';
import { decodeScaledCmykPlanes, type JpegPlane, type ScaledCmykPlanes } from './jpeg/decoder.js';
import { chooseJpegScale } from './jpeg/index.js';
import type { JpegMarkers } from './jpeg/markers.js';
import { resamplePlane, type Size } from './resize.js';
import type { Bitmap } from './types.js';

/** What the CMYK decode needs of the decode request. */
export interface CmykRequest {
  bytes: Uint8Array;
  markers: JpegMarkers;
  /** Declared size of the frame. */
  width: number;
  height: number;
  /** The box the image will be shrunk to fit (stored orientation). */
  targetBox: Size;
  shrinkOnLoad: boolean;
}

/**
 * The converted bitmap; or, when the profile could not be applied, why (`warning`); or neither
 * when there is no profile to apply.
 */
export type ManagedCmyk = { bitmap: Bitmap } | { bitmap?: undefined; warning?: string };

/** Decodes a CMYK or YCCK JPEG through its embedded CMYK profile, when it has one. */
export async function decodeCmykThroughProfile(request: CmykRequest): Promise<ManagedCmyk> {
  const profile = extractIccProfile(request.bytes, 'jpeg', request.markers);
  if (!profile) return {};
  const space = profile.length >= 20 ? String.fromCharCode(...profile.subarray(16, 20)) : '';
  if (space !== 'CMYK') {
    return { warning: `the embedded profile describes ${space.trim() || 'no'} data, not CMYK` };
  }
  const transform = await srgbTransformOf(profile, 'CMYK');
  if (!transform) return { warning: 'the embedded CMYK profile could not be parsed' };
  const scale = request.shrinkOnLoad
    ? chooseJpegScale(request.width, request.height, request.targetBox)
    : 8;
  const size = {
    width: Math.ceil((request.width * scale) / 8),
    height: Math.ceil((request.height * scale) / 8),
  };
  const decoded = decodeScaledCmykPlanes(request.bytes, { scale, minPlaneSize: size });
  if (!decoded.ok) {
    // Progressive, arithmetic and the like: jpeg-js decodes them, without the profile.
    return { warning: `a ${decoded.reason} CMYK JPEG is converted without its profile` };
  }
  const ink = inkAmounts(decoded.image);
  const rgb = transform.toSrgb(ink, size.width * size.height);
  return { bitmap: { ...size, data: rgbToRgba(rgb) } };
}

/** One plane's samples on the output grid, `size.width` per row: as they are, copied rows, or resampled. */
function onGrid(plane: JpegPlane, size: Size): Uint8Array {
  const count = size.width * size.height;
  if (plane.xScale === 1 && plane.yScale === 1 && plane.stride === size.width) {
    return plane.samples.subarray(0, count); // already packed on the grid: no copy
  }
  const out = new Uint8Array(count);
  if (plane.xScale === 1 && plane.yScale === 1) {
    for (let y = 0; y < size.height; y++) {
      const row = plane.samples.subarray(y * plane.stride, y * plane.stride + size.width);
      out.set(row, y * size.width);
    }
    return out;
  }
  // A subsampled plane (YCCK's chroma at full scale): Lanczos-3 up to the grid, clamped and
  // rounded as it is stored.
  const resampled = resamplePlane(plane, size, size);
  const clamped = new Uint8ClampedArray(out.buffer);
  for (let i = 0; i < out.length; i++) clamped[i] = resampled[i]!;
  return out;
}

/**
 * The four planes as packed ink amounts (0 = no ink), the convention LittleCMS's TYPE_CMYK_8
 * reads. With an Adobe marker the stored samples are inverted (libjpeg and libvips undo that
 * too); YCCK codes 255 - C, M, Y as YCbCr, with K stored inverted.
 */
function inkAmounts(image: ScaledCmykPlanes): Uint8Array {
  const size = { width: image.width, height: image.height };
  const [p0, p1, p2, p3] = image.planes.map((plane) => onGrid(plane, size)) as [
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
  ];
  const count = size.width * size.height;
  const out = new Uint8Array(count * 4);
  const invert = image.adobe ? 255 : 0;
  if (image.ycck) {
    const { crToR, cbToB, crToG, cbToG } = YCC_TO_RGB;
    const ink = new Uint8ClampedArray(out.buffer); // clamps and rounds as it stores
    for (let i = 0, o = 0; i < count; i++, o += 4) {
      const luma = p0[i]!;
      const cb = p1[i]! - 128;
      const cr = p2[i]! - 128;
      ink[o] = luma + crToR * cr;
      ink[o + 1] = luma - cbToG * cb - crToG * cr;
      ink[o + 2] = luma + cbToB * cb;
      ink[o + 3] = invert - p3[i]!;
    }
    return out;
  }
  for (let i = 0, o = 0; i < count; i++, o += 4) {
    out[o] = invert ^ p0[i]!; // 255 ^ v is 255 - v
    out[o + 1] = invert ^ p1[i]!;
    out[o + 2] = invert ^ p2[i]!;
    out[o + 3] = invert ^ p3[i]!;
  }
  return out;
}

function rgbToRgba(rgb: Uint8Array): Uint8Array {
  const out = new Uint8Array((rgb.length / 3) * 4);
  for (let i = 0, o = 0; i < rgb.length; i += 3, o += 4) {
    out[o] = rgb[i]!;
    out[o + 1] = rgb[i + 1]!;
    out[o + 2] = rgb[i + 2]!;
    out[o + 3] = 255;
  }
  return out;
}
