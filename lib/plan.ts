/**
 * How the renditions are made from one decoded image, planned before any pixel is touched:
 * which whole-image sizes to resize the decoded image to, and which rendition comes from which.
 * Every fitted (`inside`, `contain`) rendition is a whole image resized straight from the
 * decoded pixels (one resampling, the sharpest result). A `cover` rendition is cut from the
 * smallest of those that covers its box, as the thumbnail is cut from the resized image; only
 * when none does (a panorama whose 800-wide output is shorter than its thumbnail) does it get a
 * whole image of its own. All sizes are in stored orientation: the boxes are upright, so
 * an image that EXIF turns a quarter swaps them.
 */
import type { RenditionSpec } from './renditions.js';
import { fitInside, type Size } from './resize.js';

/** Where one rendition's pixels come from. */
export interface RenditionStep {
  /** Index into `RenditionPlan.wholes`: the whole image it is, or is cut from. */
  whole: number;
  /** Set for `cover`: the upright box to fill, cropped around the centre. */
  cover?: Size;
}

/** The whole images to make and, per rendition in order, where it comes from. */
export interface RenditionPlan {
  /** Distinct whole-image sizes, stored orientation. */
  wholes: Size[];
  steps: RenditionStep[];
}

function storedBox(rendition: RenditionSpec, swap: boolean): Size {
  return swap
    ? { width: rendition.height, height: rendition.width }
    : { width: rendition.width, height: rendition.height };
}

/**
 * The size of the whole image that one rendition is made from, in stored orientation: fitted
 * inside its box, or (cover) scaled until it fills the box; never upscaled.
 */
export function neededSize(full: Size, rendition: RenditionSpec, swap: boolean): Size {
  const box = storedBox(rendition, swap);
  if (rendition.fit !== 'cover') return fitInside(full.width, full.height, box.width, box.height);
  const scale = Math.min(1, Math.max(box.width / full.width, box.height / full.height));
  return {
    width: Math.max(1, Math.round(full.width * scale)),
    height: Math.max(1, Math.round(full.height * scale)),
  };
}

/**
 * The smallest size that serves every rendition: the largest needed size each way (they all
 * scale the same image, so this is the largest rendition's, give or take a rounded pixel).
 * Shrink-on-load decodes to at least this.
 */
export function decodeTarget(
  full: Size,
  renditions: readonly RenditionSpec[],
  swap: boolean,
): Size {
  const sizes = renditions.map((rendition) => neededSize(full, rendition, swap));
  return {
    width: Math.max(...sizes.map((size) => size.width)),
    height: Math.max(...sizes.map((size) => size.height)),
  };
}

/** Plans the renditions of an image of `full` size (the decoded image's, stored orientation). */
export function planRenditions(
  full: Size,
  renditions: readonly RenditionSpec[],
  swap: boolean,
): RenditionPlan {
  const wholes: Size[] = [];
  const wholeOf = (size: Size): number => {
    const known = wholes.findIndex((w) => w.width === size.width && w.height === size.height);
    return known >= 0 ? known : wholes.push(size) - 1;
  };
  const steps: (RenditionStep | undefined)[] = renditions.map((rendition) =>
    rendition.fit === 'cover' ? undefined : { whole: wholeOf(neededSize(full, rendition, swap)) },
  );
  renditions.forEach((rendition, index) => {
    if (rendition.fit !== 'cover') return;
    const needed = neededSize(full, rendition, swap);
    const covering = wholes
      .map((size, whole) => ({ size, whole }))
      .filter(({ size }) => size.width >= needed.width && size.height >= needed.height)
      .sort((a, b) => a.size.width * a.size.height - b.size.width * b.size.height)[0];
    steps[index] = {
      whole: covering ? covering.whole : wholeOf(needed),
      cover: { width: rendition.width, height: rendition.height },
    };
  });
  return { wholes, steps: steps as RenditionStep[] };
}
