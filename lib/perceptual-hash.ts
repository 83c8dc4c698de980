/**
 * Stage perceptualHash: a 64-bit DCT perceptual hash ("pHash"), to notice the same picture
 * uploaded twice at another size, quality or format.
 *
 * Method (the DCT hash as the widely used `imagehash` Python library computes it): the working
 * copy averaged to 32x32 grey (luma, over black where transparent); its 2-D DCT-II; the 8x8
 * lowest frequencies, DC included; each bit is 1 where the coefficient is above their median.
 * Bits in row-major order of the coefficients, most significant first, as 16 hex digits. The
 * lowest row and column are kept (phash.org's variant drops them): a picture whose structure
 * is a gradient along one axis has all its low-frequency energy there, and without them its
 * hash is noise that a re-encode flips (measured: 8-10 bits apart for our gradient test image at
 * half size and quality 60, against 4-6 with them).
 *
 * Expected distances (`hammingDistance`): the same picture resized, re-encoded or lightly
 * recoloured, 0-6 bits; unrelated pictures, about 32 (rarely under 20). Treat 10 or fewer as
 * a likely duplicate.
 *
 * Why written here rather than taken from npm: the maintained packages either decode and
 * resize the file themselves with a native library (sharp-phash needs sharp at run time) or
 * compute a different hash (imghash, image-hash and blockhash-core: block means), and none
 * hashes the pixels we already hold; the DCT hash is 40 lines.
 */
import type { Bitmap } from './types.js';
import { areaAverage } from './working-copy.js';

/** The grey image's side, and the number of low frequencies kept each way. */
const SIDE = 32;
const KEPT = 8;

/** cos(pi (2n + 1) k / 64) for the kept frequencies k = 0..7 and every n = 0..31. */
const COSINES = Float64Array.from({ length: KEPT * SIDE }, (_, index) => {
  const k = Math.floor(index / SIDE);
  const n = index % SIDE;
  return Math.cos((Math.PI * (2 * n + 1) * k) / (2 * SIDE));
});

/** The 32x32 grey image: luma (Rec. 601 weights) premultiplied by alpha. */
function greyOf(copy: Bitmap): Float64Array {
  const small = areaAverage(copy, { width: SIDE, height: SIDE });
  const grey = new Float64Array(SIDE * SIDE);
  for (let i = 0; i < small.width * small.height; i++) {
    const o = i * 4;
    const luma = 0.299 * small.data[o]! + 0.587 * small.data[o + 1]! + 0.114 * small.data[o + 2]!;
    // A copy narrower than 32 leaves the rest of its rows at 0: still the same for the same picture.
    grey[Math.floor(i / small.width) * SIDE + (i % small.width)] =
      (luma * small.data[o + 3]!) / 255;
  }
  return grey;
}

/** The kept 8x8 DCT-II coefficients (unnormalised: only their order matters). */
function lowFrequencies(grey: Float64Array): Float64Array {
  const rows = new Float64Array(SIDE * KEPT);
  for (let y = 0; y < SIDE; y++) {
    for (let k = 0; k < KEPT; k++) {
      let sum = 0;
      for (let n = 0; n < SIDE; n++) sum += grey[y * SIDE + n]! * COSINES[k * SIDE + n]!;
      rows[y * KEPT + k] = sum;
    }
  }
  const out = new Float64Array(KEPT * KEPT);
  for (let l = 0; l < KEPT; l++) {
    for (let k = 0; k < KEPT; k++) {
      let sum = 0;
      for (let n = 0; n < SIDE; n++) sum += rows[n * KEPT + k]! * COSINES[l * SIDE + n]!;
      out[l * KEPT + k] = sum;
    }
  }
  return out;
}

/**
 * The perceptual hash of an image, 16 hex digits, from its working copy (see working-copy.ts).
 * Example: `hammingDistance(perceptualHash(a), perceptualHash(b)) <= 10` for near-duplicates.
 */
export function perceptualHash(copy: Bitmap): string {
  const coefficients = lowFrequencies(greyOf(copy));
  const sorted = Float64Array.from(coefficients).sort();
  const median = (sorted[31]! + sorted[32]!) / 2;
  let hex = '';
  for (let nibble = 0; nibble < 16; nibble++) {
    let value = 0;
    for (let bit = 0; bit < 4; bit++) {
      value = (value << 1) | (coefficients[nibble * 4 + bit]! > median ? 1 : 0);
    }
    hex += value.toString(16);
  }
  return hex;
}

/** The number of bits in which two perceptual hashes (16 hex digits each) differ. */
export function hammingDistance(a: string, b: string): number {
  let difference = BigInt(`0x${a}`) ^ BigInt(`0x${b}`);
  let bits = 0;
  while (difference > 0n) {
    bits += Number(difference & 1n);
    difference >>= 1n;
  }
  return bits;
}
