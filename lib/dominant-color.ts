/**
 * Stage dominantColor: the colour of the largest cluster of similar pixels, for a card's
 * background. Not the plain mean, which turns a red-and-green picture brown.
 *
 * Method: the working copy averaged to fit 32x32; its pixels (those at least half opaque) in
 * Oklab, a space where distance follows perceived difference; seeds from the most populated cells of a coarse RGB
 * histogram (4 levels a channel), so the result is deterministic; a few rounds of k-means
 * (k at most 6); the cluster with most pixels wins, and its colour is the mean of its pixels
 * in sRGB.
 */
import { hexColor } from './hex-color.js';
import type { Bitmap } from './types.js';
import { workingCopy } from './working-copy.js';

/** Clusters at most: enough to keep distinct colours apart in a photo. */
const CLUSTERS = 6;
/** k-means rounds at most (it usually settles in three or four). */
const ROUNDS = 8;
/** The side clustered: 32x24 pixels say which colour covers most of a picture as well as more. */
const CLUSTERED_SIDE = 32;

/** sRGB 0-255 to linear light, tabulated once. */
const LINEAR = Float64Array.from({ length: 256 }, (_, value) => {
  const c = value / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
});

/** Writes the Oklab (L, a, b) of an sRGB pixel at `out[at]` (Björn Ottosson's matrices). */
function writeOklab(red: number, green: number, blue: number, out: Float64Array, at: number) {
  const r = LINEAR[red]!;
  const g = LINEAR[green]!;
  const b = LINEAR[blue]!;
  const l = Math.cbrt(0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b);
  const m = Math.cbrt(0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b);
  const s = Math.cbrt(0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b);
  out[at] = 0.2104542553 * l + 0.793617785 * m - 0.0040720468 * s;
  out[at + 1] = 1.9779984951 * l - 2.428592205 * m + 0.4505937099 * s;
  out[at + 2] = 0.0259040371 * l + 0.7827717662 * m - 0.808675766 * s;
}

/** The pixels that take part: Oklab and sRGB of each pixel at least half opaque. */
function opaquePixels(copy: Bitmap): { lab: Float64Array; rgb: Uint8Array; count: number } {
  const total = copy.width * copy.height;
  const lab = new Float64Array(total * 3);
  const rgb = new Uint8Array(total * 3);
  const data = copy.data;
  let count = 0;
  for (let i = 0; i < total; i++) {
    if (data[i * 4 + 3]! < 128) continue;
    const r = data[i * 4]!;
    const g = data[i * 4 + 1]!;
    const b = data[i * 4 + 2]!;
    writeOklab(r, g, b, lab, count * 3);
    rgb[count * 3] = r;
    rgb[count * 3 + 1] = g;
    rgb[count * 3 + 2] = b;
    count++;
  }
  return { lab, rgb, count };
}

/** Seeds: the Oklab means of the most populated cells of a 4x4x4 RGB histogram. */
function seeds(lab: Float64Array, rgb: Uint8Array, count: number): Float64Array {
  const cells = new Map<number, { n: number; sum: [number, number, number] }>();
  for (let i = 0; i < count; i++) {
    const key = ((rgb[i * 3]! >> 6) << 4) | ((rgb[i * 3 + 1]! >> 6) << 2) | (rgb[i * 3 + 2]! >> 6);
    const cell = cells.get(key) ?? { n: 0, sum: [0, 0, 0] };
    cell.n++;
    for (let c = 0; c < 3; c++) cell.sum[c]! += lab[i * 3 + c]!;
    cells.set(key, cell);
  }
  const top = [...cells.entries()]
    .sort(([keyA, a], [keyB, b]) => b.n - a.n || keyA - keyB)
    .slice(0, CLUSTERS);
  return Float64Array.from(top.flatMap(([, cell]) => cell.sum.map((sum) => sum / cell.n)));
}

/**
 * The index of the centre nearest to the Oklab colour (l, a, b), the first of equals. The pixel's
 * colour comes in as numbers read once, not re-read for every centre: a cold start runs this in
 * V8's interpreter, where each Float64Array read is a boxed number (the k-means took 15-30 ms
 * of the first image's 768 pixels reading them per centre).
 */
function nearestCentre(l: number, a: number, b: number, centres: Float64Array): number {
  let best = 0;
  let bestDistance = Infinity;
  for (let c = 0, q = 0; q < centres.length; c++, q += 3) {
    const dl = l - centres[q]!;
    const da = a - centres[q + 1]!;
    const db = b - centres[q + 2]!;
    const distance = dl * dl + da * da + db * db;
    if (distance < bestDistance) {
      best = c;
      bestDistance = distance;
    }
  }
  return best;
}

/** Lloyd's k-means from `centres`: the cluster of every pixel. */
function cluster(lab: Float64Array, count: number, centres: Float64Array): Uint8Array {
  const k = centres.length / 3;
  const owner = new Uint8Array(count);
  for (let round = 0; round < ROUNDS; round++) {
    let moved = round === 0;
    for (let i = 0, p = 0; i < count; i++, p += 3) {
      const best = nearestCentre(lab[p]!, lab[p + 1]!, lab[p + 2]!, centres);
      if (owner[i] !== best) {
        owner[i] = best;
        moved = true;
      }
    }
    if (!moved) break;
    const sums = new Float64Array(k * 4);
    for (let i = 0; i < count; i++) {
      const c = owner[i]!;
      for (let j = 0; j < 3; j++) sums[c * 4 + j]! += lab[i * 3 + j]!;
      sums[c * 4 + 3]!++;
    }
    for (let c = 0; c < k; c++) {
      const n = sums[c * 4 + 3]!;
      if (n > 0) for (let j = 0; j < 3; j++) centres[c * 3 + j] = sums[c * 4 + j]! / n;
    }
  }
  return owner;
}

/**
 * The dominant colour of an image, `#rrggbb`, from its working copy (see working-copy.ts);
 * undefined when no pixel is at least half opaque. Example: a picture two-thirds blue and
 * one-third orange gives its blue.
 */
export function dominantColor(copy: Bitmap): string | undefined {
  const { lab, rgb, count } = opaquePixels(workingCopy(copy, CLUSTERED_SIDE));
  if (count === 0) return undefined;
  const centres = seeds(lab, rgb, count);
  const owner = cluster(lab, count, centres);
  const sizes = new Uint32Array(centres.length / 3);
  for (let i = 0; i < count; i++) sizes[owner[i]!]!++;
  const largest = sizes.indexOf(Math.max(...sizes));
  const sum = [0, 0, 0];
  for (let i = 0; i < count; i++) {
    if (owner[i] !== largest) continue;
    for (let c = 0; c < 3; c++) sum[c]! += rgb[i * 3 + c]!;
  }
  const n = sizes[largest]!;
  return hexColor(sum[0]! / n, sum[1]! / n, sum[2]! / n);
}
