/**
 * Stage placeholder: a ThumbHash of the upright image (alpha included), the 20-odd bytes a page
 * inlines and decodes to a blurred preview while the real image loads, and the average colour
 * the hash encodes (for a plain background where decoding is not worth it). The encoding is the
 * published algorithm's reference implementation (the `thumbhash` package, by its author), so
 * every ThumbHash decoder reads ours.
 */
import { rgbaToThumbHash, thumbHashToAverageRGBA } from 'thumbhash';
import { hexColor } from './hex-color.js';
import type { Bitmap } from './types.js';
import { workingCopy } from './working-copy.js';

/** What the metadata document records as `image.placeholder`. */
export interface Placeholder {
  /** The ThumbHash bytes, base64 (standard alphabet, padded). */
  thumbhash: string;
  /** The hash's average colour, `#rrggbb` (alpha left out; see the hash for it). */
  averageColor: string;
}

/**
 * The side the hash is computed at: ThumbHash keeps at most 7 frequencies a side of luminance
 * (3 of colour, 5 of alpha), which 32 pixels hold; its encoder's cost grows with the pixel count.
 */
const HASHED_SIDE = 32;

/**
 * The placeholder of an image, from its working copy (see working-copy.ts), averaged to fit
 * 32x32 first. Example: `placeholderOf(workingCopy(upright)).thumbhash`.
 */
export function placeholderOf(copy: Bitmap): Placeholder {
  const small = workingCopy(copy, HASHED_SIDE);
  const hash = rgbaToThumbHash(small.width, small.height, small.data);
  const average = thumbHashToAverageRGBA(hash);
  return {
    thumbhash: Buffer.from(hash).toString('base64'),
    averageColor: hexColor(average.r * 255, average.g * 255, average.b * 255),
  };
}
