/**
 * Picks the JPEG decode scale: the smallest bitmap DCT scaling can produce that still covers
 * the size the image will be resized to, so shrinking on load never costs quality.
 */
import type { JpegScale } from './decoder.js';

/**
 * The largest denominator (8, 4, 2, else 1) whose decoded size, ceil(size / scale), is at
 * least `target` in both directions. `target` is in stored orientation (EXIF rotation that
 * swaps axes must already have swapped it).
 */
export function chooseJpegScale(
  width: number,
  height: number,
  target: { width: number; height: number },
): JpegScale {
  for (const scale of [8, 4, 2] as const) {
    if (Math.ceil(width / scale) >= target.width && Math.ceil(height / scale) >= target.height) {
      return scale;
    }
  }
  return 1;
}
