/**
 * Picks the JPEG decode scale: the smallest bitmap DCT scaling can produce that still leaves
 * the final resize room to filter, so shrinking on load saves time without costing quality.
 */
import type { JpegScale } from './decoder.js';

/**
 * How much larger than the target the decoded bitmap must be, each way. DCT scaling is not a
 * good low-pass filter: the 2/8 IDCT equals a 4x4 box average of the full decode, which lets
 * through detail the target cannot hold. The Lanczos pass that follows removes it only if it
 * has room. A 4000x3000 photo for 800x600 at 2/8 (1000x750, ratio 1.25) ends 1.55 dB below
 * the full-size path (33.39 vs 34.94 dB against an exact Lanczos-3 of the full decode), and
 * sharpening makes it worse, as aliasing does; at 3/8 (1500x1125, ratio 1.875) it lands at
 * 34.98 dB. A 6000x4000 photo at 2/8 (1500x1000, ratio 1.875) is within 0.14 dB. So 1.5.
 */
export const RESAMPLE_MARGIN = 1.5;

/** The DCT scales lib/jpeg decodes to below full size, in eighths, smallest first. */
const REDUCED_SCALES: readonly JpegScale[] = [1, 2, 3, 4];

/**
 * The smallest scale in eighths (1/8, 2/8, 3/8, 4/8, else 8/8) whose decoded size,
 * ceil(size * scale / 8), is at least RESAMPLE_MARGIN times `target` in both directions, so
 * the resize after it can filter out what DCT scaling aliases. `target` is in stored
 * orientation (EXIF rotation that swaps axes must already have swapped it).
 */
export function chooseJpegScale(
  width: number,
  height: number,
  target: { width: number; height: number },
): JpegScale {
  for (const scale of REDUCED_SCALES) {
    if (
      Math.ceil((width * scale) / 8) >= target.width * RESAMPLE_MARGIN &&
      Math.ceil((height * scale) / 8) >= target.height * RESAMPLE_MARGIN
    ) {
      return scale;
    }
  }
  return 8;
}
