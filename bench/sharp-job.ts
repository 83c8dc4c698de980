/**
 * The reference job: ours done with sharp (libvips), the way a sharp user would: hash, read
 * metadata, auto-orient and resize to fit 800x600 (shrink-on-load applies), then encode that
 * and derive the 150x150 cover thumbnail from the same resized pixels. Shared by the measuring
 * child (child-sharp.ts) and the cold start (child-cold.ts), so both time the same work.
 */
import { createHash } from 'node:crypto';
import sharp, { type Sharp } from 'sharp';
import type { JobResult } from './harness.js';

// libvips caches operations by their inputs; every run must do the work again.
sharp.cache(false);

/** Runs the reference job on one input. */
export async function sharpJob(bytes: Uint8Array): Promise<JobResult> {
  createHash('sha256').update(bytes).digest('hex');
  const metadata = await sharp(bytes).metadata();
  const alpha = metadata.hasAlpha === true;
  const resized = await sharp(bytes)
    .autoOrient()
    .resize(800, 600, { fit: 'inside', withoutEnlargement: true })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const raw = {
    raw: {
      width: resized.info.width,
      height: resized.info.height,
      channels: resized.info.channels,
    },
  };
  const encode = (image: Sharp) => (alpha ? image.png() : image.jpeg({ quality: 82 }));
  const [output, thumbnail] = await Promise.all([
    encode(sharp(resized.data, raw)).toBuffer({ resolveWithObject: true }),
    encode(
      sharp(resized.data, raw).resize(150, 150, {
        fit: 'cover',
        position: 'centre',
        withoutEnlargement: true,
      }),
    ).toBuffer({ resolveWithObject: true }),
  ]);
  const image = (result: typeof output) => ({
    format: result.info.format,
    width: result.info.width,
    height: result.info.height,
    bytes: result.data.length,
    data: result.data,
  });
  return { output: image(output), thumbnail: image(thumbnail) };
}
