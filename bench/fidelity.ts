/**
 * What shrink-on-load costs in quality (issue 6: within 1 dB of the full-size decode path).
 * The reference is an exact, floating-point Lanczos-3 resample of the full-size decode (by
 * sharp, so not our decoder), to the size of our output. Against it we score our default
 * output, our output with `shrinkOnLoad: false` and sharp's output, each as encoded. An input
 * with alpha is compared premultiplied (colour times alpha, and alpha), as it is resampled: the
 * colour of a transparent pixel is not part of the picture.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import sharp from 'sharp';
import type { ProcessOptions } from '../lib/options.js';
import type { ProcessResult } from '../lib/types.js';

/**
 * An image, `channels` interleaved samples per pixel, no padding: 8-bit RGB(A) as decoded, or
 * premultiplied RGBA in doubles (see `premultiplied`).
 */
export interface RawImage {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array | Float64Array;
}

/** PSNR of three paths against the reference, and what shrink-on-load loses. */
export interface Fidelity {
  /** Our output with the default options (shrink-on-load on). */
  oursDb: number;
  /** Our output decoded at full size first (`shrinkOnLoad: false`). */
  fullSizeDb: number;
  /** sharp's output; null when its size differs from ours. */
  sharpDb: number | null;
  /** fullSizeDb − oursDb: the quality shrink-on-load costs (negative: it gained). */
  lossDb: number;
}

/** The part of the library's surface the fidelity check uses. */
interface Library {
  processImage(bytes: Uint8Array, options?: Partial<ProcessOptions>): Promise<ProcessResult>;
}

const SUPPORT = 3;

function lanczos3(x: number): number {
  if (x === 0) return 1;
  if (x <= -SUPPORT || x >= SUPPORT) return 0;
  const px = Math.PI * x;
  return (SUPPORT * Math.sin(px) * Math.sin(px / SUPPORT)) / (px * px);
}

/** Normalised Lanczos-3 weights for one axis, the kernel widened by the shrink factor. */
function axisWeights(from: number, to: number): { first: number; weights: Float64Array }[] {
  const scale = from / to;
  const widen = Math.max(1, scale);
  const taps = [];
  for (let i = 0; i < to; i++) {
    const centre = (i + 0.5) * scale;
    const first = Math.floor(centre - SUPPORT * widen);
    const last = Math.ceil(centre + SUPPORT * widen);
    const weights = new Float64Array(last - first + 1);
    let sum = 0;
    for (let j = first; j <= last; j++) {
      const w = lanczos3((j + 0.5 - centre) / widen);
      weights[j - first] = w;
      sum += w;
    }
    for (let k = 0; k < weights.length; k++) weights[k]! /= sum;
    taps.push({ first, weights });
  }
  return taps;
}

/**
 * Resamples to `width`x`height` with an exact Lanczos-3 in double precision (edges clamped),
 * without any box pre-shrink: slow, and meant to be the yardstick. Returns the first three
 * samples of each pixel (four for a premultiplied image) as doubles.
 */
export function lanczosReference(source: RawImage, width: number, height: number): Float64Array {
  const { width: sw, height: sh, channels, data } = source;
  const bands = bandsOf(source);
  const horizontal = axisWeights(sw, width);
  const vertical = axisWeights(sh, height);
  const rows = new Float64Array(width * sh * bands);
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < width; x++) {
      const { first, weights } = horizontal[x]!;
      const o = (y * width + x) * bands;
      for (let k = 0; k < weights.length; k++) {
        const s = (y * sw + Math.min(sw - 1, Math.max(0, first + k))) * channels;
        const w = weights[k]!;
        for (let c = 0; c < bands; c++) rows[o + c] = rows[o + c]! + w * data[s + c]!;
      }
    }
  }
  const out = new Float64Array(width * height * bands);
  for (let y = 0; y < height; y++) {
    const { first, weights } = vertical[y]!;
    for (let i = 0; i < width * bands; i++) {
      let sum = 0;
      for (let k = 0; k < weights.length; k++) {
        sum += weights[k]! * rows[Math.min(sh - 1, Math.max(0, first + k)) * width * bands + i]!;
      }
      out[y * width * bands + i] = Math.min(255, Math.max(0, sum));
    }
  }
  return out;
}

/** Samples compared per pixel: RGB, or premultiplied RGBA (doubles with four channels). */
function bandsOf(image: RawImage): number {
  return image.data instanceof Float64Array && image.channels === 4 ? 4 : 3;
}

/**
 * PSNR in dB of an image against a reference of doubles of the same size and bands (RGB of an
 * 8-bit RGB(A) image, or all four samples of a premultiplied one).
 */
export function psnrAgainst(reference: Float64Array, image: RawImage): number {
  const bands = bandsOf(image);
  const pixels = image.width * image.height;
  if (pixels * bands !== reference.length || image.channels < 3) {
    throw new RangeError('the image and the reference differ in size');
  }
  let sum = 0;
  for (let i = 0; i < pixels; i++) {
    for (let c = 0; c < bands; c++) {
      const d = reference[i * bands + c]! - image.data[i * image.channels + c]!;
      sum += d * d;
    }
  }
  if (sum === 0) return Infinity;
  return 10 * Math.log10((255 * 255 * reference.length) / sum);
}

/** An 8-bit RGBA image as premultiplied RGBA doubles (colour times alpha / 255, alpha). */
export function premultiplied(image: RawImage): RawImage {
  const { width, height, data } = image;
  const out = new Float64Array(width * height * 4);
  for (let i = 0; i < out.length; i += 4) {
    const alpha = data[i + 3]!;
    for (let c = 0; c < 3; c++) out[i + c] = (data[i + c]! * alpha) / 255;
    out[i + 3] = alpha;
  }
  return { width, height, channels: 4, data: out };
}

/** Decoded upright; premultiplied RGBA when `alpha`, else RGB. */
async function decodeRaw(bytes: Uint8Array | string, alpha = false): Promise<RawImage> {
  const image = sharp(bytes).autoOrient();
  if (alpha) image.ensureAlpha();
  else image.removeAlpha();
  const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
  const raw = { width: info.width, height: info.height, channels: info.channels, data };
  return alpha ? premultiplied(raw) : raw;
}

/**
 * Scores our default output, our full-size-decode output and sharp's (`sharpOutput`, a file)
 * against a Lanczos-3 reference of the input. `library` is the URL of the compiled core.
 */
export async function measureFidelity(
  input: string,
  library: string,
  sharpOutput: string,
): Promise<Fidelity> {
  const { processImage } = (await import(library)) as Library;
  const bytes = new Uint8Array(await readFile(input));
  const name = basename(input);
  const alpha = (await sharp(bytes).metadata()).hasAlpha === true;
  const decode = (image: Uint8Array | string) => decodeRaw(image, alpha);
  const ours = await decode((await processImage(bytes, { name })).renditions[0]!.bytes);
  const fullSize = await decode(
    (await processImage(bytes, { name, shrinkOnLoad: false })).renditions[0]!.bytes,
  );
  const reference = lanczosReference(await decode(bytes), ours.width, ours.height);
  const sharpImage = await decode(sharpOutput);
  const sameSize = sharpImage.width === ours.width && sharpImage.height === ours.height;
  const oursDb = psnrAgainst(reference, ours);
  const fullSizeDb = psnrAgainst(reference, fullSize);
  return {
    oursDb,
    fullSizeDb,
    sharpDb: sameSize ? psnrAgainst(reference, sharpImage) : null,
    lossDb: fullSizeDb - oursDb,
  };
}
