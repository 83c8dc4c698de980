/**
 * The resize and rendition stages: shrink to fit a box (aspect kept, never upscaled), or fill a
 * box cropped around a focus, the centre by default (cover). An integer box pre-shrink (area
 * average, in TypeScript) brings a large bitmap to about twice the target, then a separable
 * Lanczos-3 does the rest, so nothing aliases; its weighted sums run in WebAssembly SIMD
 * (lib/kernels). Images with transparency are filtered with premultiplied alpha, so
 * transparent pixels do not bleed colour.
 */
import type { JpegPlane, ScaledJpegPlanes } from './jpeg/index.js';
import {
  resamplePlanesToRgba,
  resamplePlaneSimd,
  resampleRgbaSimd,
  tapSpan,
  type AxisTaps,
  type PlaneJob,
} from './kernels/resample-kernels.js';
import type { Bitmap } from './types.js';

/** A width and a height in pixels. */
export interface Size {
  width: number;
  height: number;
}

/** A source rectangle, in (fractional) source pixels. */
interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The size that fits `width`x`height` inside the box, aspect kept, never larger than the source. */
export function fitInside(
  width: number,
  height: number,
  maxWidth: number,
  maxHeight: number,
): Size {
  const scale = Math.min(1, maxWidth / width, maxHeight / height);
  return {
    width: Math.max(1, Math.min(maxWidth, Math.round(width * scale))),
    height: Math.max(1, Math.min(maxHeight, Math.round(height * scale))),
  };
}

const LANCZOS_SUPPORT = 3;

function lanczos3(x: number): number {
  if (x === 0) return 1;
  if (x <= -LANCZOS_SUPPORT || x >= LANCZOS_SUPPORT) return 0;
  const px = Math.PI * x;
  return (LANCZOS_SUPPORT * Math.sin(px) * Math.sin(px / LANCZOS_SUPPORT)) / (px * px);
}

/** Lanczos-3 taps for one axis: for output pixel i, `count[i]` weights from source index `start[i]`. */
function computeTaps(
  sourceSize: number,
  from: number,
  length: number,
  targetSize: number,
): AxisTaps {
  const scale = length / targetSize;
  const filterScale = Math.max(1, scale);
  const radius = LANCZOS_SUPPORT * filterScale;
  const stride = Math.ceil(radius) * 2 + 1;
  const start = new Int32Array(targetSize);
  const count = new Int32Array(targetSize);
  const weights = new Float32Array(targetSize * stride);
  for (let i = 0; i < targetSize; i++) {
    const centre = from + (i + 0.5) * scale;
    const first = Math.max(0, Math.floor(centre - radius));
    const last = Math.min(sourceSize, Math.ceil(centre + radius));
    let total = 0;
    let n = 0;
    for (let j = first; j < last && n < stride; j++, n++) {
      const weight = lanczos3((j + 0.5 - centre) / filterScale);
      weights[i * stride + n] = weight;
      total += weight;
    }
    if (total !== 0) for (let k = 0; k < n; k++) weights[i * stride + k]! /= total;
    start[i] = first;
    count[i] = n;
  }
  return { start, count, weights, stride };
}

/**
 * Averages factor x factor blocks of an opaque image (partial blocks at the right and bottom
 * edges). Reads one 32-bit word per pixel and sums two channels per word in 16-bit lanes
 * (red+blue, green+alpha), which is safe for factors up to 256.
 */
function boxShrinkOpaque(source: Bitmap, factor: number): Bitmap {
  const { width: sw, height: sh } = source;
  const words = pixelWords(source);
  const dw = Math.ceil(sw / factor);
  const dh = Math.ceil(sh / factor);
  const out = new Uint8Array(dw * dh * 4);
  const redBlue = new Uint32Array(sw);
  const greenAlpha = new Uint32Array(sw);
  for (let dy = 0; dy < dh; dy++) {
    redBlue.fill(0);
    greenAlpha.fill(0);
    const y0 = dy * factor;
    const y1 = Math.min(sh, y0 + factor);
    let y = y0;
    for (; y + 1 < y1; y += 2) {
      // Two rows per pass: half the read-modify-writes of the lane sums.
      const first = y * sw;
      const second = first + sw;
      for (let x = 0; x < sw; x++) {
        const p = words[first + x]!;
        const q = words[second + x]!;
        redBlue[x] = redBlue[x]! + (p & 0x00ff00ff) + (q & 0x00ff00ff);
        greenAlpha[x] = greenAlpha[x]! + ((p >>> 8) & 0x00ff00ff) + ((q >>> 8) & 0x00ff00ff);
      }
    }
    if (y < y1) {
      const row = y * sw;
      for (let x = 0; x < sw; x++) {
        const p = words[row + x]!;
        redBlue[x] = redBlue[x]! + (p & 0x00ff00ff);
        greenAlpha[x] = greenAlpha[x]! + ((p >>> 8) & 0x00ff00ff);
      }
    }
    const rows = y1 - y0;
    let o = dy * dw * 4;
    for (let dx = 0; dx < dw; dx++, o += 4) {
      const x0 = dx * factor;
      const x1 = Math.min(sw, x0 + factor);
      let r = 0;
      let g = 0;
      let b = 0;
      for (let x = x0; x < x1; x++) {
        const rb = redBlue[x]!;
        r += rb & 0xffff;
        b += rb >>> 16;
        g += greenAlpha[x]! & 0xffff;
      }
      const inverse = 1 / (rows * (x1 - x0));
      out[o] = Math.round(r * inverse);
      out[o + 1] = Math.round(g * inverse);
      out[o + 2] = Math.round(b * inverse);
      out[o + 3] = 255;
    }
  }
  return { width: dw, height: dh, data: out };
}

/** The pixels as 32-bit words (copied when the bytes are not 4-byte aligned). Byte order RGBA. */
function pixelWords(bitmap: Bitmap): Uint32Array {
  const { data } = bitmap;
  const bytes = data.byteOffset % 4 === 0 ? data : new Uint8Array(data);
  return new Uint32Array(bytes.buffer, bytes.byteOffset, bitmap.width * bitmap.height);
}

/** Averages factor x factor blocks of colour weighted by alpha (premultiplied), then unpremultiplies. */
function boxShrinkAlpha(source: Bitmap, factor: number): Bitmap {
  const { width: sw, height: sh, data: src } = source;
  const dw = Math.ceil(sw / factor);
  const dh = Math.ceil(sh / factor);
  const out = new Uint8Array(dw * dh * 4);
  // Column sums over the block's rows: colour times alpha (at most 255 * 255 * 256 rows) fits.
  const red = new Uint32Array(sw);
  const green = new Uint32Array(sw);
  const blue = new Uint32Array(sw);
  const alpha = new Uint32Array(sw);
  for (let dy = 0; dy < dh; dy++) {
    red.fill(0);
    green.fill(0);
    blue.fill(0);
    alpha.fill(0);
    const y0 = dy * factor;
    const y1 = Math.min(sh, y0 + factor);
    for (let y = y0; y < y1; y++) {
      for (let x = 0, s = y * sw * 4; x < sw; x++, s += 4) {
        const a = src[s + 3]!;
        red[x] = red[x]! + src[s]! * a;
        green[x] = green[x]! + src[s + 1]! * a;
        blue[x] = blue[x]! + src[s + 2]! * a;
        alpha[x] = alpha[x]! + a;
      }
    }
    let o = dy * dw * 4;
    for (let dx = 0; dx < dw; dx++, o += 4) {
      const x0 = dx * factor;
      const x1 = Math.min(sw, x0 + factor);
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let x = x0; x < x1; x++) {
        r += red[x]!;
        g += green[x]!;
        b += blue[x]!;
        a += alpha[x]!;
      }
      const divisor = a === 0 ? 1 : a;
      out[o] = Math.round(r / divisor);
      out[o + 1] = Math.round(g / divisor);
      out[o + 2] = Math.round(b / divisor);
      out[o + 3] = Math.round(a / ((y1 - y0) * (x1 - x0)));
    }
  }
  return { width: dw, height: dh, data: out };
}

/** Separable resample of `rect` of the source to `target`, alpha premultiplied when asked. */
function resample(source: Bitmap, rect: Rect, target: Size, premultiply: boolean): Bitmap {
  const horizontal = computeTaps(source.width, rect.x, rect.width, target.width);
  const vertical = computeTaps(source.height, rect.y, rect.height, target.height);
  // Only the rows and columns the taps read.
  const { first: rowFirst, count: rows } = tapSpan(vertical, 0, target.height);
  const { first: colFirst, count: cols } = tapSpan(horizontal, 0, target.width);
  const region = {
    data: source.data,
    offset: (rowFirst * source.width + colFirst) * 4,
    stride: source.width * 4,
    width: cols * 4,
    rows,
  };
  const data = resampleRgbaSimd(region, rowFirst, colFirst, horizontal, vertical, premultiply);
  return { width: target.width, height: target.height, data };
}

/**
 * The integer box pre-shrink factor for `source` to `target`: the largest that leaves the
 * Lanczos pass at least twice the target each way (1: no pre-shrink). A decoder that shrinks
 * while decoding (PNG, lib/png) uses the same rule, so its output is the same as ours.
 */
export function boxShrinkFactor(source: Size, target: Size): number {
  const factor = Math.floor(
    Math.min(source.width / target.width, source.height / target.height) / 2,
  );
  return factor >= 2 ? Math.min(factor, 256) : 1;
}

/**
 * Resizes a bitmap to `target` without aliasing: box pre-shrink to about twice the target, then
 * Lanczos-3. `premultiply` (for images with transparency) filters colour weighted by alpha.
 * `extent` is the image's extent in the bitmap's pixels when a decoder already box-shrank it
 * (fractional where the last block is partial); by default the bitmap's own size.
 */
export function resizeBitmap(
  source: Bitmap,
  target: Size,
  premultiply: boolean,
  extent: Size = source,
): Bitmap {
  if (source.width === target.width && source.height === target.height) return source;
  const scale = boxShrinkFactor(source, target);
  const shrunk =
    scale > 1 ? (premultiply ? boxShrinkAlpha : boxShrinkOpaque)(source, scale) : source;
  // The box pass covers whole blocks; map the original extent onto the shrunk grid.
  const rect = { x: 0, y: 0, width: extent.width / scale, height: extent.height / scale };
  return resample(shrunk, rect, target, premultiply);
}

/**
 * Lanczos-3 of one plane to `target`, the plane covering `extent` (output-grid pixels times the
 * plane's own samples per pixel, so a 2x subsampled plane maps the same area with half the
 * samples). Returns the samples unrounded, `target.width` per row, for the colour conversion.
 */
export function resamplePlane(plane: JpegPlane, extent: Size, target: Size): Float32Array {
  return resamplePlaneSimd(planeJob(plane, planeTaps(plane, extent, target)));
}

/** The taps of both axes of one plane. */
type PlaneTaps = Pick<PlaneJob, 'horizontal' | 'vertical'>;

/** The taps that resample one plane covering `extent` to `target`. */
function planeTaps(plane: JpegPlane, extent: Size, target: Size): PlaneTaps {
  return {
    horizontal: computeTaps(plane.width, 0, extent.width * plane.xScale, target.width),
    vertical: computeTaps(plane.height, 0, extent.height * plane.yScale, target.height),
  };
}

/** What the kernels need to resample one plane with its taps. */
function planeJob(plane: JpegPlane, { horizontal, vertical }: PlaneTaps): PlaneJob {
  const { first: rowFirst, count: rows } = tapSpan(vertical, 0, vertical.start.length);
  const source = {
    data: plane.samples,
    offset: rowFirst * plane.stride,
    stride: plane.stride,
    width: plane.width,
    rows,
  };
  return { source, rowFirst, horizontal, vertical };
}

/**
 * Resizes a JPEG decoded as component planes (lib/jpeg `decodeScaledJpegPlanes`) to `target`
 * RGBA: Lanczos-3 per plane, each on its own sampling grid (subsampled chroma filtered from its
 * smaller plane, no upsampling), then colour conversion once, at the target size.
 */
export function resizePlanes(image: ScaledJpegPlanes, target: Size): Bitmap {
  const { planes, colorSpace } = image;
  const extent = { width: image.width, height: image.height };
  // A JPEG's chroma planes share one geometry, so their taps: computed once (cold, computeTaps
  // runs in V8's interpreter, a few milliseconds a plane).
  const known = new Map<string, PlaneTaps>();
  const jobs = planes.map((plane) => {
    const geometry = `${plane.width} ${plane.height} ${plane.xScale} ${plane.yScale}`;
    const taps = known.get(geometry) ?? planeTaps(plane, extent, target);
    known.set(geometry, taps);
    return planeJob(plane, taps);
  });
  const data = resamplePlanesToRgba(jobs, colorSpace === 'ycbcr');
  return { width: target.width, height: target.height, data };
}

function copyRect(source: Bitmap, x0: number, y0: number, size: Size): Bitmap {
  const out = new Uint8Array(size.width * size.height * 4);
  for (let y = 0; y < size.height; y++) {
    const from = ((y + y0) * source.width + x0) * 4;
    out.set(source.data.subarray(from, from + size.width * 4), y * size.width * 4);
  }
  return { width: size.width, height: size.height, data: out };
}

/** Where a cover crop is centred, as fractions of the image's width and height (0.5: middle). */
export interface Focus {
  x: number;
  y: number;
}

/** The middle of the image: the `centre` crop position. */
export const CENTRE: Readonly<Focus> = Object.freeze({ x: 0.5, y: 0.5 });

/**
 * The part of a `source`-sized image that a cover crop of `box` keeps, in source pixels: the
 * whole image along one axis, a window along the other (never upscaled: a source smaller
 * than the box keeps its own size that way).
 */
export function coverWindow(source: Size, box: Size): Size {
  const scale = Math.min(1, Math.max(box.width / source.width, box.height / source.height));
  return {
    width: Math.min(box.width, source.width) / scale,
    height: Math.min(box.height, source.height) / scale,
  };
}

/** The window's start along one axis: centred on `focus`, kept inside the image. */
function windowStart(length: number, window: number, focus: number): number {
  return Math.min(Math.max(focus * length - window / 2, 0), length - window);
}

/**
 * Fills `box` from an (already resized) image, cropped around `focus` (by default the centre;
 * see crop-position.ts for the others): a cover rendition, such as the default thumbnail. Never
 * upscales: a source smaller than the box each way gives a smaller result.
 */
export function coverBox(
  source: Bitmap,
  box: Size,
  premultiply: boolean,
  focus: Focus = CENTRE,
): Bitmap {
  const { width, height } = source;
  const target = { width: Math.min(box.width, width), height: Math.min(box.height, height) };
  const window = coverWindow(source, box);
  const x = windowStart(width, window.width, focus.x);
  const y = windowStart(height, window.height, focus.y);
  if (window.width === target.width && window.height === target.height) {
    return copyRect(source, Math.floor(x), Math.floor(y), target);
  }
  return resample(source, { x, y, ...window }, target, premultiply);
}
