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

/** One plane's samples on the output grid: as decoded when it is already there, else resampled. */
function onGrid(plane: JpegPlane, size: Size): { samples: ArrayLike<number>; stride: number } {
  if (plane.xScale === 1 && plane.yScale === 1) return plane;
  return { samples: resamplePlane(plane, size, size), stride: size.width };
}

function clamp(value: number): number {
  return value < 0 ? 0 : value > 255 ? 255 : Math.round(value);
}

/**
 * The four planes as packed ink amounts (0 = no ink), the convention LittleCMS's TYPE_CMYK_8
 * reads. With an Adobe marker the stored samples are inverted (libjpeg and libvips undo that
 * too); YCCK codes 255 - C, M, Y as YCbCr, with K stored inverted.
 */
function inkAmounts(image: ScaledCmykPlanes): Uint8Array {
  const size = { width: image.width, height: image.height };
  const [p0, p1, p2, p3] = image.planes.map((plane) => onGrid(plane, size)) as [
    ReturnType<typeof onGrid>,
    ReturnType<typeof onGrid>,
    ReturnType<typeof onGrid>,
    ReturnType<typeof onGrid>,
  ];
  const { crToR, cbToB, crToG, cbToG } = YCC_TO_RGB;
  const out = new Uint8Array(size.width * size.height * 4);
  const invert = image.adobe ? 255 : 0;
  let o = 0;
  for (let y = 0; y < size.height; y++) {
    for (let x = 0; x < size.width; x++, o += 4) {
      const a = p0.samples[y * p0.stride + x]!;
      const b = p1.samples[y * p1.stride + x]!;
      const c = p2.samples[y * p2.stride + x]!;
      const k = p3.samples[y * p3.stride + x]!;
      if (image.ycck) {
        out[o] = clamp(a + crToR * (c - 128));
        out[o + 1] = clamp(a - cbToG * (b - 128) - crToG * (c - 128));
        out[o + 2] = clamp(a + cbToB * (b - 128));
      } else {
        out[o] = Math.abs(invert - clamp(a));
        out[o + 1] = Math.abs(invert - clamp(b));
        out[o + 2] = Math.abs(invert - clamp(c));
      }
      out[o + 3] = Math.abs(invert - clamp(k));
    }
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
