import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import encodeWebp, { init as initWebpEncoder } from '@jsquash/webp/encode.js';
import { loadCodecs, processImage } from '../../lib/index.js';
import { BLUE, RED, bitmap, decodeOutput, near, pixel, type Rgba, renditionIn } from './images.js';

const require = createRequire(import.meta.url);
/** The global WebAssembly API (Node has it; @types/node 20 does not declare it). */
declare const WebAssembly: { Module: new (bytes: Uint8Array) => object };

/**
 * Encodes a still WebP with libwebp (SIMD build, as @jsquash picks on Node): lossless (VP8L),
 * or lossy, where transparency goes into an ALPH chunk before the VP8 one.
 */
async function webpOf(
  width: number,
  height: number,
  colour: Rgba | ((x: number, y: number) => Rgba),
  lossless = true,
): Promise<Uint8Array> {
  const image = bitmap(width, height, typeof colour === 'function' ? colour : () => colour);
  const data = new Uint8ClampedArray(image.data.buffer);
  return new Uint8Array(
    await encodeWebp(
      { width, height, data, colorSpace: 'srgb' } as unknown as Parameters<typeof encodeWebp>[0],
      { lossless: lossless ? 1 : 0, quality: 90 },
    ),
  );
}

/** The chunk types of a WebP file, after its RIFF header. */
function chunkTypes(file: Uint8Array): string[] {
  const types: string[] = [];
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  for (let at = 12; at + 8 <= file.length;) {
    types.push(String.fromCharCode(...file.subarray(at, at + 4)));
    const length = view.getUint32(at + 4, true);
    at += 8 + length + (length & 1);
  }
  return types;
}

const le24 = (v: number) => [v & 255, (v >> 8) & 255, (v >> 16) & 255];
const le32 = (v: number) => [v & 255, (v >> 8) & 255, (v >> 16) & 255, (v >>> 24) & 255];
const fourcc = (s: string) => Array.from(s, (c) => c.charCodeAt(0));
const chunk = (type: string, payload: number[]) => [
  ...fourcc(type),
  ...le32(payload.length),
  ...payload,
  ...(payload.length & 1 ? [0] : []),
];

/** An animated WebP (VP8X + ANIM + one ANMF per still) on a canvas of the given size. */
function animated(
  canvas: [number, number],
  frames: { still: Uint8Array; x: number; y: number; w: number; h: number }[],
): Uint8Array {
  const vp8x = chunk('VP8X', [0x12, 0, 0, 0, ...le24(canvas[0] - 1), ...le24(canvas[1] - 1)]);
  const anim = chunk('ANIM', [0, 0, 0, 0, 0, 0]);
  const anmf = frames.flatMap((frame) =>
    chunk('ANMF', [
      ...le24(frame.x / 2),
      ...le24(frame.y / 2),
      ...le24(frame.w - 1),
      ...le24(frame.h - 1),
      ...le24(100),
      0,
      ...Array.from(frame.still.subarray(12)), // the still's chunks, without RIFF/WEBP
    ]),
  );
  const body = [...fourcc('WEBP'), ...vp8x, ...anim, ...anmf];
  return Uint8Array.from([...fourcc('RIFF'), ...le32(body.length), ...body]);
}

describe('WebP', () => {
  before(async () => {
    await loadCodecs();
    const wasm = readFileSync(require.resolve('@jsquash/webp/codec/enc/webp_enc_simd.wasm'));
    await initWebpEncoder(new WebAssembly.Module(wasm) as never);
  });

  it('decodes a still WebP', async () => {
    const result = await processImage(await webpOf(40, 30, RED), { name: 'still.webp' });
    expect(result.metadata.image).to.include({ width: 40, height: 30, animated: false });
    expect(renditionIn(result, 'output')).to.include({
      name: 'still.webp',
      format: 'webp',
      contentType: 'image/webp',
      width: 40,
      height: 30,
    });
  });

  it('takes the first frame of an animated WebP, placed on its canvas, and counts the frames', async () => {
    const file = animated(
      [64, 48],
      [
        { still: await webpOf(32, 24, RED), x: 16, y: 12, w: 32, h: 24 },
        { still: await webpOf(64, 48, BLUE), x: 0, y: 0, w: 64, h: 48 },
      ],
    );
    const result = await processImage(file, { name: 'anim.webp' });
    expect(result.metadata.image).to.include({
      width: 64,
      height: 48,
      animated: true,
      frameCount: 2,
      hasAlpha: true,
    });
    expect(renditionIn(result, 'output').format).to.equal('webp');
    const output = await decodeOutput(renditionIn(result, 'output').bytes, 'webp');
    expect(near(pixel(output, 32, 24), RED)).to.equal(true);
    expect(pixel(output, 2, 2)[3]).to.equal(0);
  });

  it('decodes a first frame whose transparency is an ALPH chunk beside lossy VP8 data', async () => {
    const halfClear = (x: number): Rgba => (x < 16 ? [0, 0, 255, 0] : RED);
    const still = await webpOf(32, 24, halfClear, false);
    expect(chunkTypes(still)).to.deep.equal(['VP8X', 'ALPH', 'VP8 ']);
    const file = animated(
      [32, 24],
      [
        { still, x: 0, y: 0, w: 32, h: 24 },
        { still: await webpOf(32, 24, BLUE), x: 0, y: 0, w: 32, h: 24 },
      ],
    );
    const result = await processImage(file, { name: 'alpha-anim.webp' });
    expect(result.metadata.image).to.include({ animated: true, hasAlpha: true });
    const output = await decodeOutput(renditionIn(result, 'output').bytes, 'webp');
    expect(pixel(output, 4, 12)[3]).to.equal(0);
    expect(near(pixel(output, 28, 12), RED)).to.equal(true);
  });

  it('refuses, as CORRUPT_IMAGE, a frame whose data is larger than its frame header says', async () => {
    const file = animated(
      [64, 48],
      [
        { still: await webpOf(40, 30, RED), x: 0, y: 0, w: 32, h: 24 },
        { still: await webpOf(64, 48, BLUE), x: 0, y: 0, w: 64, h: 48 },
      ],
    );
    const error = await processImage(file, { name: 'lies.webp' }).catch((e: unknown) => e);
    expect(error).to.have.property('code', 'CORRUPT_IMAGE');
    expect((error as Error).message).to.contain('declares 32x24 but holds 40x30');
  });
});
