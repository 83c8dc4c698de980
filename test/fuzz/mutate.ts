/**
 * Deterministic mutations of image files for the fuzz suite: a seeded PRNG (so every case can
 * be reproduced from its seed) and mutators that model what real damage and hostile files
 * look like — bit flips, overwritten bytes, truncations, inserted and repeated runs, files
 * spliced together, and headers rewritten to declare absurd sizes.
 */
import { crc32 } from 'node:zlib';
import { concatBytes } from '../../lib/bytes.js';
import { pngChunks } from '../../lib/png-chunks.js';

/** A small, fast, seedable PRNG (mulberry32); not for cryptography. */
export class Prng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, max). */
  int(max: number): number {
    return Math.floor(this.next() * max);
  }

  /** One element of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

/** Mixes a run seed and a case index into the seed of one case. */
export function caseSeed(runSeed: number, index: number): number {
  let h = (runSeed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Byte values that tend to hit edge cases in parsers. */
const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0xd8, 0xd9, 0xda, 0xc0, 0xc2];
/** Dimensions that tend to hit edge cases: zero, one, 16-bit and 32-bit limits. */
const DIMENSIONS = [0, 1, 2, 255, 256, 16383, 16384, 32767, 32768, 65535, 0x7fffffff, 0xffffffff];

type Mutator = (input: Uint8Array, rng: Prng, other: Uint8Array) => Uint8Array;

function flipBits(input: Uint8Array, rng: Prng): Uint8Array {
  const out = input.slice();
  const flips = 1 + rng.int(8);
  for (let i = 0; i < flips && out.length > 0; i++) {
    const at = rng.int(out.length);
    out[at] = out[at]! ^ (1 << rng.int(8));
  }
  return out;
}

function overwriteBytes(input: Uint8Array, rng: Prng): Uint8Array {
  const out = input.slice();
  const writes = 1 + rng.int(16);
  // Headers hold most of the structure: aim half of the writes at the first 512 bytes.
  for (let i = 0; i < writes && out.length > 0; i++) {
    const span = rng.next() < 0.5 ? Math.min(512, out.length) : out.length;
    out[rng.int(span)] = rng.next() < 0.5 ? rng.pick(INTERESTING) : rng.int(256);
  }
  return out;
}

function truncate(input: Uint8Array, rng: Prng): Uint8Array {
  const keep = rng.next() < 0.3 ? rng.int(Math.min(64, input.length)) : rng.int(input.length);
  return input.slice(0, keep);
}

function insertRun(input: Uint8Array, rng: Prng): Uint8Array {
  const at = rng.int(input.length + 1);
  const run = new Uint8Array(1 + rng.int(64)).map(() =>
    rng.next() < 0.5 ? rng.pick(INTERESTING) : rng.int(256),
  );
  return concatBytes([input.subarray(0, at), run, input.subarray(at)]);
}

function repeatRun(input: Uint8Array, rng: Prng): Uint8Array {
  const from = rng.int(input.length);
  const length = 1 + rng.int(Math.min(256, input.length - from));
  const at = rng.int(input.length + 1);
  const copies = 1 + rng.int(4);
  const run = input.subarray(from, from + length);
  return concatBytes([
    input.subarray(0, at),
    ...Array<Uint8Array>(copies).fill(run),
    input.subarray(at),
  ]);
}

function deleteRun(input: Uint8Array, rng: Prng): Uint8Array {
  const from = rng.int(input.length);
  const length = 1 + rng.int(Math.min(256, input.length - from));
  return concatBytes([input.subarray(0, from), input.subarray(from + length)]);
}

/** The head of one file on the tail of another (a header that lies about its body). */
function splice(input: Uint8Array, rng: Prng, other: Uint8Array): Uint8Array {
  const head = input.subarray(0, 1 + rng.int(Math.max(1, input.length - 1)));
  const tail = other.subarray(rng.int(other.length));
  return concatBytes([head, tail]);
}

function writeU32be(out: Uint8Array, at: number, value: number): void {
  if (at + 4 > out.length) return;
  new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(at, value >>> 0);
}

function writeU16(out: Uint8Array, at: number, value: number, little: boolean): void {
  if (at + 2 > out.length) return;
  new DataView(out.buffer, out.byteOffset, out.byteLength).setUint16(at, value & 0xffff, little);
}

/**
 * Rewrites the declared size in the header of the file's format: PNG IHDR (with a valid CRC,
 * so the lie gets past the checksum), JPEG SOFn, GIF screen and BMP info header. A tiny file
 * declaring a huge image is a decompression bomb; a small declared size over a big body is the
 * opposite lie.
 */
function spliceHeaderDimensions(input: Uint8Array, rng: Prng): Uint8Array {
  const out = input.slice();
  const width = rng.next() < 0.5 ? rng.pick(DIMENSIONS) : 1 + rng.int(70000);
  const height = rng.next() < 0.5 ? rng.pick(DIMENSIONS) : 1 + rng.int(70000);
  if (out[0] === 0x89 && out[1] === 0x50 && out.length >= 33) {
    writeU32be(out, 16, width);
    writeU32be(out, 20, height);
    if (rng.next() < 0.3) out[24] = rng.pick([1, 2, 4, 8, 16, 3, 0, 255]); // bit depth
    if (rng.next() < 0.3) out[25] = rng.pick([0, 2, 3, 4, 6, 1, 7]); // colour type
    if (rng.next() < 0.2) out[28] = rng.pick([0, 1, 2]); // interlace
    writeU32be(out, 29, crc32(out.subarray(12, 29)));
    return out;
  }
  if (out[0] === 0xff && out[1] === 0xd8) {
    for (let at = 2; at + 9 < out.length; at++) {
      const marker = out[at + 1]!;
      if (
        out[at] === 0xff &&
        marker >= 0xc0 &&
        marker <= 0xcf &&
        ![0xc4, 0xc8, 0xcc].includes(marker)
      ) {
        writeU16(out, at + 5, height, false);
        writeU16(out, at + 7, width, false);
        if (rng.next() < 0.2) out[at + 4] = rng.pick([8, 12, 16, 0]); // precision
        if (rng.next() < 0.2) out[at + 9] = rng.pick([0, 1, 2, 3, 4, 255]); // components
        return out;
      }
    }
    return out;
  }
  if (out[0] === 0x47 && out[1] === 0x49) {
    writeU16(out, 6, width, true);
    writeU16(out, 8, height, true);
    return out;
  }
  if (out[0] === 0x42 && out[1] === 0x4d && out.length >= 30) {
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    view.setInt32(18, rng.next() < 0.2 ? -width : width, true);
    view.setInt32(22, rng.next() < 0.3 ? -height : height, true);
    if (rng.next() < 0.3) view.setUint16(28, rng.pick([0, 1, 4, 8, 16, 24, 32, 33]), true);
    return out;
  }
  return overwriteBytes(input, rng);
}

/**
 * Damage inside PNG chunks behind CRCs that match, as a hostile file (not a damaged one) would
 * have them: without it the critical-chunk CRC check refuses nearly every mutated PNG before
 * the decoder sees it. Other formats get plain overwrites.
 */
function damageBehindValidCrcs(input: Uint8Array, rng: Prng): Uint8Array {
  const out = overwriteBytes(input, rng);
  if (out[0] !== 0x89 || out[1] !== 0x50) return out;
  for (const chunk of pngChunks(out)) {
    if (!chunk.complete) break;
    const end = chunk.offset + 8 + chunk.length;
    writeU32be(out, end, crc32(out.subarray(chunk.offset + 4, end)));
  }
  return out;
}

/** Every mutator by name, so a failure message can say which one made the case. */
export const MUTATORS: Readonly<Record<string, Mutator>> = {
  flipBits,
  overwriteBytes,
  truncate,
  insertRun,
  repeatRun,
  deleteRun,
  splice,
  spliceHeaderDimensions,
  damageBehindValidCrcs,
};

/** One fuzz case: the bytes and how they were made. */
export interface FuzzCase {
  seed: number;
  base: string;
  mutations: string[];
  bytes: Uint8Array;
}

/** Builds the case for `seed` from the seed images: one base, one to three mutations. */
export function makeCase(
  seed: number,
  bases: readonly { name: string; bytes: Uint8Array }[],
): FuzzCase {
  const rng = new Prng(seed);
  const base = rng.pick(bases);
  const names = Object.keys(MUTATORS);
  const mutations: string[] = [];
  let bytes = base.bytes;
  const rounds = 1 + rng.int(3);
  for (let i = 0; i < rounds && bytes.length > 0; i++) {
    const name = rng.pick(names);
    mutations.push(name);
    bytes = MUTATORS[name]!(bytes, rng, rng.pick(bases).bytes);
  }
  return { seed, base: base.name, mutations, bytes };
}
