/**
 * Stage position: where a `cover` rendition's crop goes, chosen on the working copy (at most
 * 64x64, see working-copy.ts) so it costs a fraction of a millisecond. A cover crop keeps the
 * whole image along one axis and a window along the other; every place of that window on the
 * copy is scored, and the best one's centre becomes the crop's focus.
 * - `centre`: the middle, as before positions existed.
 * - `entropy`: the window whose luminance has the most Shannon entropy (the most detail),
 *   the measure of sharp's `entropy` strategy.
 * - `attention`: the window holding most of what draws the eye, as sharp describes its
 *   `attention` strategy: luminance edges, saturated colour and skin tones, summed per pixel.
 * Ties go to the place nearest the middle, so a plain picture is cropped as by `centre`.
 *
 * Why not the `smartcrop` package (2.0.5): it scores a coarse grid of candidate crops (8-pixel
 * steps) with similar cues plus a rule-of-thirds bias, needs a canvas-like adapter, and on the
 * same 64-pixel working copies took two to three times the CPU time of our `attention`
 * (0.19 and 0.48 ms against 0.09 and 0.15 ms, a wide and a 4:3 picture, on a loaded 2-core
 * machine); the scores here are a few lines each.
 */
import { CENTRE, coverWindow, type Focus, type Size } from './resize.js';
import type { Bitmap } from './types.js';

/** Where a cover rendition is cropped. */
export type CropPosition = 'centre' | 'entropy' | 'attention';

/** Every position, the default first. */
export const CROP_POSITIONS: readonly CropPosition[] = ['centre', 'entropy', 'attention'];

/** Luminance levels of the entropy histogram. */
const LEVELS = 32;

/** Luminance 0-1 of every pixel (Rec. 601 weights). */
function lumaOf(copy: Bitmap): Float64Array {
  const { data } = copy;
  const luma = new Float64Array(copy.width * copy.height);
  for (let i = 0; i < luma.length; i++) {
    luma[i] = (0.299 * data[i * 4]! + 0.587 * data[i * 4 + 1]! + 0.114 * data[i * 4 + 2]!) / 255;
  }
  return luma;
}

/** How much one pixel draws the eye: edge strength, saturation and skin tone, each 0-1. */
function attentionScores(copy: Bitmap): Float64Array {
  const { width, height, data } = copy;
  const scores = new Float64Array(width * height);
  const luma = lumaOf(copy);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const i = p * 4;
      const left = luma[y * width + Math.max(0, x - 1)]!;
      const right = luma[y * width + Math.min(width - 1, x + 1)]!;
      const up = luma[Math.max(0, y - 1) * width + x]!;
      const down = luma[Math.min(height - 1, y + 1) * width + x]!;
      const edge = Math.min(1, Math.abs(4 * luma[p]! - left - right - up - down));
      const r = data[i]!;
      const g = data[i + 1]!;
      const b = data[i + 2]!;
      const saturation = (Math.max(r, g, b) - Math.min(r, g, b)) / 255;
      scores[p] = (edge + saturation + skinTone(r, g, b)) * (data[i + 3]! / 255);
    }
  }
  return scores;
}

/**
 * 0-1: how close the pixel's chromaticity is to skin's (the direction of (0.78, 0.57, 0.44) in
 * RGB, smartcrop's reference tone), among pixels neither dark nor blown out.
 */
function skinTone(r: number, g: number, b: number): number {
  const lightness = (r + g + b) / 765;
  if (lightness < 0.2 || lightness > 0.95) return 0;
  // Math.sqrt, not Math.hypot: this runs per pixel, and hypot is several times slower.
  const magnitude = Math.sqrt(r * r + g * g + b * b);
  const dr = r / magnitude - 0.78;
  const dg = g / magnitude - 0.57;
  const db = b / magnitude - 0.44;
  const distance = Math.sqrt(dr * dr + dg * dg + db * db);
  return Math.max(0, 1 - distance / 0.15);
}

/** Per line across the sliding axis: the sum of the scores, for the window sums. */
function lineSums(scores: Float64Array, copy: Size, alongX: boolean): Float64Array {
  const lines = new Float64Array(alongX ? copy.width : copy.height);
  for (let y = 0; y < copy.height; y++) {
    for (let x = 0; x < copy.width; x++) lines[alongX ? x : y]! += scores[y * copy.width + x]!;
  }
  return lines;
}

/** Attention of every window place: the sum of its lines' scores. */
function attentionPlaces(copy: Bitmap, span: number, alongX: boolean): Float64Array {
  const lines = lineSums(attentionScores(copy), copy, alongX);
  const places = new Float64Array(lines.length - span + 1);
  let sum = lines.subarray(0, span).reduce((total, value) => total + value, 0);
  for (let start = 0; start < places.length; start++) {
    places[start] = sum;
    sum += (lines[start + span] ?? 0) - lines[start]!;
  }
  return places;
}

/** Entropy of every window place: one luminance histogram per line, slid across. */
function entropyPlaces(copy: Bitmap, span: number, alongX: boolean): Float64Array {
  const count = alongX ? copy.width : copy.height;
  const histograms = new Uint32Array(count * LEVELS);
  const luma = lumaOf(copy);
  for (let y = 0; y < copy.height; y++) {
    for (let x = 0; x < copy.width; x++) {
      const level = Math.min(LEVELS - 1, Math.floor(luma[y * copy.width + x]! * LEVELS));
      histograms[(alongX ? x : y) * LEVELS + level]!++;
    }
  }
  const window = new Uint32Array(LEVELS);
  const add = (line: number, sign: number) => {
    for (let level = 0; level < LEVELS; level++) {
      window[level]! += sign * histograms[line * LEVELS + level]!;
    }
  };
  for (let line = 0; line < span; line++) add(line, 1);
  const places = new Float64Array(count - span + 1);
  for (let start = 0; start < places.length; start++) {
    const total = window.reduce((sum, n) => sum + n, 0);
    places[start] = window.reduce(
      (h, n) => (n === 0 ? h : h - (n / total) * Math.log2(n / total)),
      0,
    );
    if (start + span < count) {
      add(start + span, 1);
      add(start, -1);
    }
  }
  return places;
}

/** The best place, ties to the one nearest the middle. */
function bestPlace(places: Float64Array): number {
  const middle = (places.length - 1) / 2;
  let best = 0;
  for (let place = 1; place < places.length; place++) {
    const better = places[place]! > places[best]! + 1e-9;
    const asGood = Math.abs(places[place]! - places[best]!) <= 1e-9;
    if (better || (asGood && Math.abs(place - middle) < Math.abs(best - middle))) best = place;
  }
  return best;
}

/**
 * Where to centre the cover crop of `box` from an image of `whole` size, chosen on `copy` (the
 * same picture, smaller). `centre` needs no copy; the others score every place of the crop's
 * window on it. Example: `coverBox(upright, box, alpha, cropFocus(copy, upright, box, 'attention'))`.
 */
export function cropFocus(copy: Bitmap, whole: Size, box: Size, position: CropPosition): Focus {
  if (position === 'centre') return CENTRE;
  const window = coverWindow(whole, box);
  const alongX = window.width < whole.width;
  if (!alongX && window.height >= whole.height) return CENTRE;
  const length = alongX ? copy.width : copy.height;
  const fraction = alongX ? window.width / whole.width : window.height / whole.height;
  const span = Math.min(length, Math.max(1, Math.round(fraction * length)));
  const places =
    position === 'entropy'
      ? entropyPlaces(copy, span, alongX)
      : attentionPlaces(copy, span, alongX);
  const centre = (bestPlace(places) + span / 2) / length;
  return alongX ? { x: centre, y: 0.5 } : { x: 0.5, y: centre };
}
