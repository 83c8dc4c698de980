/**
 * Sample images the local runtime uploads to `input` on its first run: mostly good ones,
 * and two broken ones so the failure path shows too.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ContainerClient } from '@azure/storage-blob';

/** `fixtures/images/` of this project. */
export const FIXTURE_IMAGES = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'fixtures',
  'images',
);

/** Fixture file (relative to fixtures/images/) → blob name in `input`, and its content type. */
export const SAMPLES: readonly { file: string; blob: string; contentType: string }[] = [
  {
    file: 'jpeg/camera-exif-gps.jpg',
    blob: 'samples/camera with gps.jpg',
    contentType: 'image/jpeg',
  },
  { file: 'orientation/exif-6.jpg', blob: 'samples/phone portrait.jpg', contentType: 'image/jpeg' },
  { file: 'size/large-photo.jpg', blob: 'samples/large photo.jpg', contentType: 'image/jpeg' },
  { file: 'size/panorama.jpg', blob: 'samples/panorama.jpg', contentType: 'image/jpeg' },
  { file: 'png/alpha.png', blob: 'samples/logo with alpha.png', contentType: 'image/png' },
  { file: 'png/palette.png', blob: 'samples/palette.png', contentType: 'image/png' },
  { file: 'other/animated.gif', blob: 'samples/animated.gif', contentType: 'image/gif' },
  { file: 'other/bmp.bmp', blob: 'samples/bitmap.bmp', contentType: 'image/bmp' },
  { file: 'bad/truncated.jpg', blob: 'samples/broken/truncated.jpg', contentType: 'image/jpeg' },
  {
    file: 'bad/not-an-image.jpg',
    blob: 'samples/broken/not an image.jpg',
    contentType: 'image/jpeg',
  },
];

/** Uploads the samples to `input` (those present in fixtures/); returns how many. */
export async function uploadSamples(input: ContainerClient): Promise<number> {
  let uploaded = 0;
  for (const sample of SAMPLES) {
    const bytes = await readFile(path.join(FIXTURE_IMAGES, sample.file)).catch(() => undefined);
    if (bytes === undefined) continue;
    uploaded += 1;
    await input.getBlockBlobClient(sample.blob).uploadData(bytes, {
      blobHTTPHeaders: { blobContentType: sample.contentType },
    });
  }
  return uploaded;
}
