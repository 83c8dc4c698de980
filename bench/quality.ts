/**
 * A sanity check beside the speed figures: how close our resized output is to sharp's (PSNR).
 * The two use different filters, so they never match exactly; a low figure means something is
 * wrong (orientation, crop, colours), not just a different kernel.
 */
import sharp from 'sharp';

/** Peak signal-to-noise ratio of two equally long 8-bit sample arrays, in dB (Infinity if equal). */
export function psnr(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length || a.length === 0) {
    throw new RangeError(
      `PSNR needs two non-empty arrays of one length (${a.length}, ${b.length})`,
    );
  }
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    sum += d * d;
  }
  if (sum === 0) return Infinity;
  return 10 * Math.log10((255 * 255) / (sum / a.length));
}

/**
 * PSNR between two encoded images, or null when their sizes differ. Both are composited onto
 * grey first: colour under full transparency is arbitrary, while alpha errors still show.
 */
export async function comparePsnr(pathA: string, pathB: string): Promise<number | null> {
  const decode = (path: string) =>
    sharp(path)
      .flatten({ background: '#808080' })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
  const [a, b] = await Promise.all([decode(pathA), decode(pathB)]);
  if (a.info.width !== b.info.width || a.info.height !== b.info.height) return null;
  return psnr(a.data, b.data);
}
