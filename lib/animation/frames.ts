/**
 * Every frame of an animated GIF or WebP, composed onto the canvas as a viewer shows it: each
 * frame drawn at its place (over the canvas, or replacing it), then disposed of as the file says
 * (kept, cleared to transparent, or for GIF restored to what was there before). The frames come
 * out one at a time as whole canvases, so a consumer holds only what it makes of each.
 */
import { CorruptImageError } from '../errors.js';
import { decodeGifLzw, paletteRgba, readGifStructure, storedRowOrder } from '../gif.js';
import { riffChunks } from '../riff.js';
import type { Bitmap } from '../types.js';

/** One displayed frame: the whole canvas, and how long it shows. */
export interface AnimationFrame {
  /** The canvas after this frame is drawn (reused for the next frame: copy what you keep). */
  canvas: Bitmap;
  /** Milliseconds. */
  delayMs: number;
}

/** What an animation says besides its frames. */
export interface AnimationHeader {
  width: number;
  height: number;
  frameCount: number;
  /** Times to play: 0 forever (GIF without a loop extension: 1). */
  loops: number;
}

/** A frame's rectangle on the canvas and how it is drawn and disposed of. */
interface Placement {
  x: number;
  y: number;
  width: number;
  height: number;
  /** Draw transparent pixels too (WebP "do not blend"); GIF always blends. */
  replace: boolean;
  /** After display: 'keep', 'clear' (its rectangle to transparent) or 'restore' (GIF). */
  dispose: 'keep' | 'clear' | 'restore';
}

/** Draws RGBA `pixels` (the placement's size) onto the canvas. */
function draw(canvas: Bitmap, pixels: Uint8Array | Uint8ClampedArray, at: Placement): void {
  const { data, width } = canvas;
  for (let y = 0; y < at.height; y++) {
    for (let x = 0; x < at.width; x++) {
      const from = (y * at.width + x) * 4;
      const to = ((at.y + y) * width + at.x + x) * 4;
      const alpha = pixels[from + 3]!;
      if (at.replace || alpha === 255) {
        data.set(pixels.subarray(from, from + 4), to);
      } else if (alpha > 0) {
        // WebP's alpha blending: the frame over what the canvas holds.
        const under = data[to + 3]! * (255 - alpha);
        const out = alpha * 255 + under;
        for (let c = 0; c < 3; c++) {
          data[to + c] = Math.round(
            (pixels[from + c]! * alpha * 255 + data[to + c]! * under) / out,
          );
        }
        data[to + 3] = Math.round(out / 255);
      }
    }
  }
}

function clear(canvas: Bitmap, at: Placement): void {
  for (let y = at.y; y < at.y + at.height; y++) {
    canvas.data.fill(0, (y * canvas.width + at.x) * 4, (y * canvas.width + at.x + at.width) * 4);
  }
}

function outside(canvas: { width: number; height: number }, at: Placement): boolean {
  return at.x + at.width > canvas.width || at.y + at.height > canvas.height;
}

/**
 * How many times a GIF plays: its NETSCAPE2.0 extension counts repetitions after the first
 * play (0: forever); without the extension it plays once.
 */
function gifLoops(bytes: Uint8Array): number {
  const signature = 'NETSCAPE2.0';
  for (let i = 13; i + 16 < bytes.length; i++) {
    if (bytes[i] !== 0x21 || bytes[i + 1] !== 0xff || bytes[i + 2] !== 11) continue;
    if (String.fromCharCode(...bytes.subarray(i + 3, i + 14)) !== signature) continue;
    const repetitions = bytes[i + 16]! | (bytes[i + 17]! << 8);
    return repetitions === 0 ? 0 : repetitions + 1;
  }
  return 1;
}

/** The animation header of a GIF, from its block structure alone. */
export function gifHeader(bytes: Uint8Array, name: string): AnimationHeader {
  const gif = readGifStructure(bytes, name);
  return {
    width: gif.width,
    height: gif.height,
    frameCount: gif.frameCount,
    loops: gifLoops(bytes),
  };
}

/** Every frame of a GIF, composed (GIF89a disposal methods 0-3). */
export function* gifFrames(bytes: Uint8Array, name: string): Generator<AnimationFrame> {
  const gif = readGifStructure(bytes, name);
  const canvas: Bitmap = {
    width: gif.width,
    height: gif.height,
    data: new Uint8Array(gif.width * gif.height * 4),
  };
  for (const frame of gif.frames) {
    const at: Placement = {
      ...frame,
      replace: false,
      dispose: frame.disposal === 2 ? 'clear' : frame.disposal === 3 ? 'restore' : 'keep',
    };
    if (outside(canvas, at))
      throw new CorruptImageError(name, 'GIF frame extends outside its screen');
    if (frame.paletteOffset === undefined)
      throw new CorruptImageError(name, 'GIF without a colour table');
    const indexes = decodeGifLzw(bytes, frame.dataOffset, frame.width * frame.height, name);
    const palette = paletteRgba(bytes, frame);
    const pixels = new Uint8Array(frame.width * frame.height * 4);
    const rows = storedRowOrder(frame.height, frame.interlaced);
    rows.forEach((row, stored) => {
      for (let x = 0; x < frame.width; x++) {
        const colour = indexes[stored * frame.width + x]! * 4;
        pixels.set(palette.subarray(colour, colour + 4), (row * frame.width + x) * 4);
      }
    });
    const before = at.dispose === 'restore' ? new Uint8Array(canvas.data) : undefined;
    draw(canvas, pixels, at);
    yield { canvas, delayMs: frame.delayCs * 10 };
    if (at.dispose === 'clear') clear(canvas, at);
    if (before) canvas.data.set(before);
  }
}

function u24(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16);
}

/** The animation header of a WebP: canvas (VP8X), loop count (ANIM), ANMF frames. */
export function webpHeader(bytes: Uint8Array, name: string): AnimationHeader {
  let canvas: { width: number; height: number } | undefined;
  let loops = 0;
  let frameCount = 0;
  for (const chunk of riffChunks(bytes)) {
    if (chunk.type === 'VP8X') {
      canvas = { width: u24(bytes, chunk.start + 4) + 1, height: u24(bytes, chunk.start + 7) + 1 };
    }
    if (chunk.type === 'ANIM') loops = bytes[chunk.start + 4]! | (bytes[chunk.start + 5]! << 8);
    if (chunk.type === 'ANMF') frameCount++;
  }
  // A still WebP: one frame, nothing to animate (its size is the guard's business).
  if (frameCount === 0) return { width: 0, height: 0, frameCount: 1, loops: 0 };
  if (!canvas) throw new CorruptImageError(name, 'animated WebP without a VP8X header');
  return { ...canvas, frameCount, loops };
}

/**
 * Every frame of an animated WebP, composed; `decodeFrame` decodes one ANMF frame's bitmap
 * (libwebp's still decoder, see decode.ts) and must return the declared frame size.
 */
export async function* webpFrames(
  bytes: Uint8Array,
  name: string,
  decodeFrame: (start: number, end: number, width: number, height: number) => Promise<Bitmap>,
): AsyncGenerator<AnimationFrame> {
  const header = webpHeader(bytes, name);
  const canvas: Bitmap = {
    width: header.width,
    height: header.height,
    data: new Uint8Array(header.width * header.height * 4),
  };
  for (const chunk of riffChunks(bytes)) {
    if (chunk.type !== 'ANMF') continue;
    if (!chunk.complete)
      throw new CorruptImageError(name, 'WebP ANMF chunk runs past the end of the data');
    const flags = bytes[chunk.start + 15]!;
    const at: Placement = {
      x: u24(bytes, chunk.start) * 2,
      y: u24(bytes, chunk.start + 3) * 2,
      width: u24(bytes, chunk.start + 6) + 1,
      height: u24(bytes, chunk.start + 9) + 1,
      replace: (flags & 2) !== 0,
      dispose: (flags & 1) !== 0 ? 'clear' : 'keep',
    };
    if (outside(canvas, at))
      throw new CorruptImageError(name, 'WebP frame extends outside its canvas');
    const frame = await decodeFrame(
      chunk.start + 16,
      chunk.start + chunk.length,
      at.width,
      at.height,
    );
    draw(canvas, frame.data, at);
    yield { canvas, delayMs: u24(bytes, chunk.start + 12) };
    if (at.dispose === 'clear') clear(canvas, at);
  }
}
