/**
 * The orient stage: make the image upright per its EXIF orientation (1-8). Applied to the small
 * images after resizing, where it costs microseconds, instead of to the full-size bitmap.
 */
import type { Size } from './resize.js';
import type { Bitmap } from './types.js';

/** True when the orientation swaps width and height (5-8: transposed or rotated 90 degrees). */
export function swapsAxes(orientation: number): boolean {
  return orientation >= 5 && orientation <= 8;
}

/** The displayed size of a stored `size` under `orientation`. */
export function orientedSize(size: Size, orientation: number): Size {
  return swapsAxes(orientation) ? { width: size.height, height: size.width } : size;
}

/**
 * Each orientation as a transpose (stored rows become columns) followed by mirrors of the
 * displayed image: [transpose, mirror left-right, mirror top-bottom].
 */
const PLACEMENT: Record<number, readonly [boolean, boolean, boolean]> = {
  2: [false, true, false], // mirror
  3: [false, true, true], // rotate 180
  4: [false, false, true], // flip
  5: [true, false, false], // transpose
  6: [true, true, false], // rotate 90 clockwise
  7: [true, true, true], // transverse
  8: [true, false, true], // rotate 90 counter-clockwise
};

/**
 * Returns the bitmap as it should be displayed for an EXIF orientation: 2 mirror, 3 rotate 180,
 * 4 flip, 5 transpose, 6 rotate 90 clockwise, 7 transverse, 8 rotate 90 counter-clockwise.
 */
export function applyOrientation(bitmap: Bitmap, orientation: number): Bitmap {
  const placement = PLACEMENT[orientation];
  if (!placement) return bitmap;
  const [transpose, mirrorX, mirrorY] = placement;
  const { width: w, height: h } = bitmap;
  const bytes = bitmap.data.byteOffset % 4 === 0 ? bitmap.data : new Uint8Array(bitmap.data);
  const src = new Uint32Array(bytes.buffer, bytes.byteOffset, w * h);
  const out = new Uint32Array(w * h);
  const ow = transpose ? h : w;
  const oh = transpose ? w : h;
  // Where the displayed index (row * ow + column) moves along a stored row, and down one.
  const across = mirrorX ? -1 : 1;
  const down = mirrorY ? -ow : ow;
  const stepX = transpose ? down : across;
  const stepY = transpose ? across : down;
  const origin = (mirrorY ? (oh - 1) * ow : 0) + (mirrorX ? ow - 1 : 0);
  for (let y = 0, i = 0; y < h; y++) {
    for (let x = 0, d = origin + y * stepY; x < w; x++, d += stepX) out[d] = src[i++]!;
  }
  return { width: ow, height: oh, data: new Uint8Array(out.buffer) };
}
