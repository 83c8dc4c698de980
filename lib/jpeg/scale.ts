/**
 * Picks the JPEG decode scale: the smallest bitmap DCT scaling can produce that still leaves
 * the final resize room to filter, so shrinking on load saves time without costing quality.
 */
import type { JpegScale } from './decoder.js';

/**
 * How much larger than the target the decoded bitmap must be, each way. DCT scaling is not a
 * good low-pass filter: the 2/8 IDCT equals a 4x4 box average of the full decode, which lets
 * through detail the target cannot hold. The Lanczos pass that follows removes it only if it
 * has room. The 4000x3000 bench photo for 800x600, encoded at quality 82 and compared with an
 * exact Lanczos-3 of the full decode: via 2/8 (1000x750, ratio 1.25) 32.98 dB, 1.66 dB below
 * the full-size path's 34.64 (sharpening makes it worse, as it does aliasing); via 3/8
 * (1500x1125, ratio 1.875) 34.62 dB. The 6000x4000 one via 2/8 (1500x1000, ratio 1.875) is
 * 0.12 dB below full size. So at least 1.5.
 */
export const RESAMPLE_MARGIN = 1.5;

/**
 * How much larger than the target each decoded plane must be, each way, when a JPEG is decoded
 * as planes (subsampled chroma on its own grid, see `decodeScaledJpegPlanes`). Chroma aliases
 * like luma under DCT scaling, but matters less. Measured on the bench photos for 800x600,
 * against the RGBA path, before encoding: 12 MP at 3/8 with chroma at 750 wide (ratio 0.94)
 * 1.7 dB worse, at 1000 (1.25) 0.44 dB, at 1500 (1.88) equal; 24 MP at 2/8 with chroma at
 * 750 2.0 dB worse, at 1125 (1.41) 0.17 dB. After encoding (the bench's quality table) 1.25
 * loses 0.04 and 0.10 dB against the full-size path, as the RGBA path does (0.02, 0.11).
 */
export const PLANE_MARGIN = 1.25;

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
