/**
 * The benchmark's cases: generated photo-like inputs of the sizes a camera or phone uploads.
 */

/** One input the benchmark processes with both libraries. */
export interface BenchCase {
  /** Stable name, used in `--cases`, the table and the JSON. */
  name: string;
  format: 'jpeg' | 'png';
  width: number;
  height: number;
  /** PNG only: the image has a transparent vignette, so both sides must write PNG outputs. */
  alpha: boolean;
  /**
   * JPEG only: stored as CMYK (Adobe's inverted CMYK, as print software writes it) with sharp's
   * CMYK profile (about 1 MB, like the profiles stock photos carry) embedded, so both sides
   * convert through the profile.
   */
  cmyk?: boolean;
}

/** Every case, in the order they run and are reported. */
export const CASES: readonly BenchCase[] = Object.freeze([
  { name: 'jpeg-1mp', format: 'jpeg', width: 1152, height: 864, alpha: false },
  { name: 'jpeg-12mp', format: 'jpeg', width: 4000, height: 3000, alpha: false },
  { name: 'jpeg-24mp', format: 'jpeg', width: 6000, height: 4000, alpha: false },
  { name: 'png-12mp', format: 'png', width: 4000, height: 3000, alpha: true },
  { name: 'cmyk-12mp', format: 'jpeg', width: 4000, height: 3000, alpha: false, cmyk: true },
]);

/** The case the cold start processes: a 1 MP JPEG, like a typical phone upload after sharing. */
export const COLD_START_CASE = 'jpeg-1mp';

/**
 * The input of the encode measurement: an 800x600 photo-like JPEG, the size of the default
 * resized image, so its one 800x600 rendition is encoded at exactly that size.
 */
export const ENCODE_CASE: BenchCase = Object.freeze({
  name: 'encode-800x600',
  format: 'jpeg',
  width: 800,
  height: 600,
  alpha: false,
});

/** The formats whose encode time the benchmark reports, JPEG first as the yardstick. */
export const ENCODE_FORMATS = ['jpeg', 'webp', 'avif'] as const;

/** Selects cases by name (all when `names` is empty); an unknown name is an error, not a skip. */
export function selectCases(names: readonly string[]): BenchCase[] {
  if (names.length === 0) return [...CASES];
  return names.map((name) => {
    const found = CASES.find((c) => c.name === name);
    if (!found) {
      const known = CASES.map((c) => c.name).join(', ');
      throw new Error(`Unknown case '${name}'; known cases are ${known}.`);
    }
    return found;
  });
}
