/**
 * The WebAssembly scan decoder as shipped: its committed binary is its source compiled, and
 * one decode leaves nothing behind for the next in the same thread (the decoder's memory and
 * instance are shared by every decode a thread makes). Its pixels are tested with the whole
 * decoder, in decoder.test.ts, planes.test.ts and cmyk-planes.test.ts.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WASM_FILES } from '../../../scripts/build-kernels.js';
import { decodeScaledJpegPlanes, type JpegScale } from '../../../lib/jpeg/index.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const fixture = (name: string) => new Uint8Array(readFileSync(path.join(FIXTURES, name)));

/** The planes of a decode, or its fallback reason and detail. */
function planesOf(data: Uint8Array, scale: JpegScale): Uint8Array[] | string {
  const result = decodeScaledJpegPlanes(data, { scale });
  return result.ok
    ? result.image.planes.map((p) => p.samples)
    : `${result.reason}: ${result.detail}`;
}

/** The failures found while a block's AC coefficients are being read. */
const MID_BLOCK = [
  'malformed: AC run past the end of the block',
  'malformed: invalid Huffman code',
  'malformed: AC coefficient over 10 bits',
];

/** Copies of `data` with one byte of its entropy-coded data changed, that fail inside a block. */
function failingInsideABlock(data: Uint8Array, scale: JpegScale): Uint8Array[] {
  const failing: Uint8Array[] = [];
  for (let at = Math.floor(data.length / 3); at < data.length - 2 && failing.length < 8; at += 7) {
    const copy = Uint8Array.from(data);
    copy[at] = copy[at]! ^ 0x5a;
    const outcome = planesOf(copy, scale);
    if (typeof outcome === 'string' && MID_BLOCK.includes(outcome)) failing.push(copy);
  }
  return failing;
}

describe('JPEG scan decoder (WebAssembly)', () => {
  it('ships as its source compiled: jpeg-wasm.ts is what npm run kernels makes of lib/jpeg/wasm', async () => {
    const { target, compile } = WASM_FILES.jpeg;
    const generated = await compile();
    expect(readFileSync(target, 'utf8')).to.equal(generated);
  });

  for (const scale of [8, 4, 3] as const) {
    it(`leaves no coefficient of a stream that failed inside a block to the next decode (${scale}/8)`, () => {
      const clean = fixture('s444-restart-every-row.jpg');
      const before = planesOf(clean, scale);
      const corrupt = ['optimized.jpg', 's422.jpg'].flatMap((name) =>
        failingInsideABlock(fixture(name), scale),
      );
      expect(corrupt, 'corrupt copies that fail inside a block').to.have.length.greaterThan(0);
      for (const bytes of corrupt) {
        planesOf(bytes, scale);
        expect(planesOf(clean, scale)).to.deep.equal(before);
      }
    });
  }

  it('decodes the same file to the same planes however many decodes ran before it', () => {
    const photo = fixture('s420-restart-every-mcu.jpg');
    const first = planesOf(photo, 8);
    for (const name of ['s422.jpg', 'gray-restart.jpg', 'three-scans.jpg', 'dqt16.jpg']) {
      planesOf(fixture(name), 2);
      planesOf(fixture(name), 8);
    }
    expect(planesOf(photo, 8)).to.deep.equal(first);
  });
});
