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
 * Returns the bitmap as it should be displayed for an EXIF orientation: 2 mirror, 3 rotate 180,
 * 4 flip, 5 transpose, 6 rotate 90 clockwise, 7 transverse, 8 rotate 90 counter-clockwise.
 */
export function applyOrientation(bitmap: Bitmap, orientation: number): Bitmap {
  if (!(orientation >= 2 && orientation <= 8)) return bitmap;
  const { width: w, height: h } = bitmap;
  const bytes = bitmap.data.byteOffset % 4 === 0 ? bitmap.data : new Uint8Array(bitmap.data);
  const src = new Uint32Array(bytes.buffer, bytes.byteOffset, w * h);
  const out = new Uint32Array(w * h);
  const swap = swapsAxes(orientation);
  const ow = swap ? h : w;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let dx: number;
      let dy: number;
      switch (orientation) {
        case 2:
          dx = w - 1 - x;
          dy = y;
          break;
        case 3:
          dx = w - 1 - x;
          dy = h - 1 - y;
          break;
        case 4:
          dx = x;
          dy = h - 1 - y;
          break;
        case 5:
          dx = y;
          dy = x;
          break;
        case 6:
          dx = h - 1 - y;
          dy = x;
          break;
        case 7:
          dx = h - 1 - y;
          dy = w - 1 - x;
          break;
        default:
          dx = y;
          dy = w - 1 - x;
      }
      out[dy * ow + dx] = src[y * w + x]!;
    }
  }
  return { width: ow, height: swap ? w : h, data: new Uint8Array(out.buffer) };
}
