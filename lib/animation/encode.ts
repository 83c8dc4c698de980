/**
 * Animated outputs: GIF through gifenc (MIT, pure JavaScript: a palette of up to 256 colours per
 * frame, 1-bit transparency), WebP as libwebp's still frames (the encoder every WebP rendition
 * uses) in an animation container written here (VP8X, ANIM, one ANMF per frame). Every frame is
 * the whole canvas, already composed, so each replaces the one before: the source's blending and
 * disposal are in the pixels, and its timing and loop count in the container.
 */
import { concatBytes } from '../bytes.js';
import { encodeWebpWasm } from '../codecs/index.js';
import { riffChunks } from '../riff.js';
import type { Bitmap } from '../types.js';

type GifEnc = (typeof import('gifenc'))['default'];
let gifencLoaded: Promise<GifEnc> | undefined;

/**
 * gifenc's functions, imported on the first GIF written: importing it took about 15 ms of every
 * cold start, for an output few renditions ask for. Node's ESM import of its CommonJS bundle
 * holds them under `default`; where its exports are also read as named ones they are taken
 * from the namespace itself.
 */
function loadGifenc(): Promise<GifEnc> {
  gifencLoaded ??= import('gifenc').then((module) =>
    typeof module.quantize === 'function' ? module : module.default,
  );
  return gifencLoaded;
}

/** One output frame: the resized canvas and how long it shows. */
export interface OutputFrame {
  bitmap: Bitmap;
  delayMs: number;
}

/**
 * An animated GIF of `frames` (all one size); `loops` 0 plays forever. With `hasAlpha`, pixels
 * under half opacity become the transparent colour, and each frame clears the one before.
 */
export async function encodeAnimatedGif(
  frames: readonly OutputFrame[],
  loops: number,
  hasAlpha: boolean,
): Promise<Uint8Array> {
  const gifenc = await loadGifenc();
  const encoder = gifenc.GIFEncoder();
  const format = hasAlpha ? 'rgba4444' : 'rgb565';
  frames.forEach(({ bitmap, delayMs }, index) => {
    const palette = gifenc.quantize(bitmap.data, 256, { format, oneBitAlpha: hasAlpha });
    const transparentIndex = palette.findIndex((colour) => colour[3] === 0);
    encoder.writeFrame(
      gifenc.applyPalette(bitmap.data, palette, format),
      bitmap.width,
      bitmap.height,
      {
        palette,
        delay: delayMs,
        // gifenc: -1 plays once, n > 0 repeats n times after the first showing.
        ...(index === 0 ? { repeat: loops === 0 ? 0 : loops === 1 ? -1 : loops - 1 } : {}),
        ...(transparentIndex >= 0 ? { transparent: true, transparentIndex } : {}),
        dispose: hasAlpha ? 2 : 1,
      },
    );
  });
  encoder.finish();
  return encoder.bytes();
}

function chunk(type: string, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + payload.length + (payload.length & 1));
  out.set(Array.from(type, (c) => c.charCodeAt(0)));
  new DataView(out.buffer).setUint32(4, payload.length, true);
  out.set(payload, 8);
  return out;
}

function u24le(value: number): number[] {
  return [value & 255, (value >> 8) & 255, (value >> 16) & 255];
}

/** The ALPH and VP8/VP8L chunks of a still WebP, as they are (header and padding included). */
function imageChunks(webp: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const { type, start, length } of riffChunks(webp)) {
    if (type === 'ALPH' || type === 'VP8 ' || type === 'VP8L') {
      parts.push(webp.subarray(start - 8, start + length + (length & 1)));
    }
  }
  return concatBytes(parts);
}

/**
 * An animated WebP of `frames` (all one size), each encoded lossy at `quality` by libwebp;
 * `loops` 0 plays forever. Frames do not blend and are not disposed of: each covers the canvas.
 */
export async function encodeAnimatedWebp(
  frames: readonly OutputFrame[],
  loops: number,
  quality: number,
  hasAlpha: boolean,
): Promise<Uint8Array> {
  const { width, height } = frames[0]!.bitmap;
  const parts: Uint8Array[] = [];
  const header = new Uint8Array(10);
  header[0] = 0x02 | (hasAlpha ? 0x10 : 0); // animation, alpha
  header.set([...u24le(width - 1), ...u24le(height - 1)], 4);
  parts.push(
    chunk('VP8X', header),
    chunk('ANIM', Uint8Array.from([0, 0, 0, 0, loops & 255, (loops >> 8) & 255])),
  );
  for (const { bitmap, delayMs } of frames) {
    const { data } = bitmap;
    const still = await encodeWebpWasm(
      {
        width,
        height,
        data:
          data instanceof Uint8ClampedArray
            ? data
            : new Uint8ClampedArray(data.buffer, data.byteOffset, data.byteLength),
      },
      quality,
    );
    const placement = Uint8Array.from([
      0,
      0,
      0,
      0,
      0,
      0,
      ...u24le(width - 1),
      ...u24le(height - 1),
      ...u24le(Math.min(delayMs, 0xffffff)),
      0x02,
    ]);
    parts.push(chunk('ANMF', concatBytes([placement, imageChunks(still)])));
  }
  const body = concatBytes(parts);
  const riff = new Uint8Array(12);
  riff.set([0x52, 0x49, 0x46, 0x46]);
  new DataView(riff.buffer).setUint32(4, body.length + 4, true);
  riff.set([0x57, 0x45, 0x42, 0x50], 8);
  return concatBytes([riff, body]);
}
