/**
 * Animated renditions (`"animated": true`): every frame of an animated GIF or WebP composed
 * (lib/animation/frames.ts), resized to the rendition's box like the still image would be, and
 * written as an animated GIF or WebP (lib/animation/encode.ts). The frame count and the pixels of
 * all frames are checked against the limits before any frame is decoded. Renditions without the
 * flag, other formats and still inputs keep the first frame (the rest of the pipeline).
 */
import { CodecError, decodeWebpWasm } from '../codecs/index.js';
import { stillWebp, webpChunks } from '../decode.js';
import { CorruptImageError, TooManyFramesError } from '../errors.js';
import type { ProcessOptions } from '../options.js';
import { applyOrientation, swapsAxes } from '../orient.js';
import { planRenditions } from '../plan.js';
import type { RenditionSpec } from '../renditions.js';
import { coverBox, resizeBitmap } from '../resize.js';
import type { Bitmap, EncodedRendition, ImageFormat } from '../types.js';
import { encodeAnimatedGif, encodeAnimatedWebp, type OutputFrame } from './encode.js';
import {
  gifFrames,
  gifHeader,
  webpFrames,
  webpHeader,
  type AnimationFrame,
  type AnimationHeader,
} from './frames.js';

/** The animated format a rendition gets from an input of `input` format, if it animates. */
export function animatedFormat(
  rendition: RenditionSpec,
  input: ImageFormat,
): 'gif' | 'webp' | undefined {
  if (rendition.animated !== true || (input !== 'gif' && input !== 'webp')) return undefined;
  if (rendition.format === 'auto') return input;
  return rendition.format === 'webp' ? 'webp' : undefined;
}

function headerOf(bytes: Uint8Array, format: 'gif' | 'webp', name: string): AnimationHeader {
  return format === 'gif' ? gifHeader(bytes, name) : webpHeader(bytes, name);
}

type AnimationLimits = Pick<ProcessOptions, 'name' | 'maxFrames' | 'maxPixels' | 'renditions'>;

/**
 * Refuses, before decoding, an animation that a rendition asks to keep moving when it has more
 * frames than `maxFrames` or more than `maxPixels` in all its frames (each frame is composed on
 * the whole canvas). Does nothing when no rendition animates this input.
 */
export function guardAnimation(
  bytes: Uint8Array,
  format: ImageFormat,
  limits: AnimationLimits,
): void {
  if (format !== 'gif' && format !== 'webp') return;
  if (!limits.renditions.some((rendition) => animatedFormat(rendition, format))) return;
  const { frameCount, width, height } = headerOf(bytes, format, limits.name);
  if (frameCount > limits.maxFrames) {
    throw new TooManyFramesError(
      limits.name,
      `has ${frameCount} frames, over the limit of ${limits.maxFrames} (maxFrames)`,
    );
  }
  const total = frameCount * width * height;
  if (frameCount > 1 && total > limits.maxPixels) {
    throw new TooManyFramesError(
      limits.name,
      `has ${frameCount} frames of ${width}x${height} = ${total} pixels in all, over the limit of ${limits.maxPixels} (maxPixels)`,
    );
  }
}

/** One ANMF frame's bitmap, through libwebp's still decoder; its refusal is CORRUPT_IMAGE. */
function webpFrameDecoder(bytes: Uint8Array, name: string) {
  return async (start: number, end: number, width: number, height: number): Promise<Bitmap> => {
    const still = stillWebp(bytes, webpChunks(name, bytes, start, end), width, height);
    const frame = await decodeWebpWasm(still).catch((error: unknown) => {
      if (!(error instanceof CodecError)) throw error;
      throw new CorruptImageError(name, `webp decoder libwebp: ${error.message}`, error);
    });
    if (frame.width !== width || frame.height !== height) {
      throw new CorruptImageError(
        name,
        `WebP frame declares ${width}x${height} but holds ${frame.width}x${frame.height}`,
      );
    }
    return frame;
  };
}

function framesOf(
  bytes: Uint8Array,
  format: 'gif' | 'webp',
  name: string,
): AsyncIterable<AnimationFrame> | Iterable<AnimationFrame> {
  return format === 'gif'
    ? gifFrames(bytes, name)
    : webpFrames(bytes, name, webpFrameDecoder(bytes, name));
}

/**
 * Each animated rendition's pixels from one composed canvas, as the still pipeline makes them
 * (plan.ts): every whole-image size resized once, turned upright, a cover box cut from it.
 */
function renditionFrames(
  canvas: Bitmap,
  specs: readonly RenditionSpec[],
  orientation: number,
): Bitmap[] {
  const plan = planRenditions(canvas, specs, swapsAxes(orientation));
  const wholes = plan.wholes.map((size) =>
    applyOrientation(resizeBitmap(canvas, size, true), orientation),
  );
  return plan.steps.map(({ whole, cover }) =>
    cover ? coverBox(wholes[whole]!, cover, true) : wholes[whole]!,
  );
}

/** What animateRenditions needs to know of the input. */
export interface AnimationSource {
  bytes: Uint8Array;
  format: ImageFormat;
  name: string;
  /** EXIF orientation (WebP may carry one), applied to every frame. */
  orientation: number;
}

/**
 * Replaces, in `renditions` (one per `settings.renditions`, in order), those that animate this
 * input with their animated GIF or WebP. The input's frames are composed once, each resized for
 * every animated rendition as it comes; a still input (one frame) keeps its renditions.
 */
export async function animateRenditions(
  source: AnimationSource,
  specs: readonly RenditionSpec[],
  renditions: EncodedRendition[],
): Promise<EncodedRendition[]> {
  const { format, name, bytes } = source;
  const targets = specs.flatMap((spec, index) => {
    const to = animatedFormat(spec, format);
    return to ? [{ spec, index, to, frames: [] as OutputFrame[] }] : [];
  });
  if (targets.length === 0 || (format !== 'gif' && format !== 'webp')) return renditions;
  const header = headerOf(bytes, format, name);
  if (header.frameCount < 2) return renditions;
  let alpha = false;
  const animatedSpecs = targets.map((target) => target.spec);
  for await (const { canvas, delayMs } of framesOf(bytes, format, name)) {
    alpha ||= hasTransparency(canvas);
    const bitmaps = renditionFrames(canvas, animatedSpecs, source.orientation);
    targets.forEach((target, i) => target.frames.push({ bitmap: bitmaps[i]!, delayMs }));
  }
  const out = [...renditions];
  for (const { spec, index, to, frames } of targets) {
    const encoded =
      to === 'gif'
        ? await encodeAnimatedGif(frames, header.loops, alpha)
        : await encodeAnimatedWebp(frames, header.loops, spec.quality, alpha);
    const { width, height } = frames[0]!.bitmap;
    out[index] = {
      ...renditions[index]!,
      format: to,
      contentType: `image/${to}`,
      width,
      height,
      bytes: encoded,
    };
  }
  return out;
}

function hasTransparency(bitmap: Bitmap): boolean {
  for (let i = 3; i < bitmap.data.length; i += 4) if (bitmap.data[i] !== 255) return true;
  return false;
}
