/**
 * Photo-like images for the load tool. A few base images (gradients, shapes, noise; not flat
 * colour, so codecs do real work) are encoded once with the library's own encoders and kept in
 * `.local/load-images/`; each upload is a cheap variant of a base (a unique JPEG comment
 * segment), so every blob has its own bytes and eTag without encoding again. A few uploads are
 * corrupt on purpose.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { encodeJpegWasm, encodePngWasm } from '../../../lib/codecs/index.js';
import { loaderArgs } from './instances.js';

/** One base image: name, size, format. */
export interface BaseSpec {
  name: string;
  width: number;
  height: number;
  format: 'jpeg' | 'png';
}

/** Every base image: phone-sized photos up to 24 MP, a PNG screenshot and a 12 MP PNG scan. */
export const BASES: readonly BaseSpec[] = [
  { name: 'photo-1mp', width: 1200, height: 900, format: 'jpeg' },
  { name: 'photo-4mp', width: 2400, height: 1600, format: 'jpeg' },
  { name: 'photo-12mp', width: 4000, height: 3000, format: 'jpeg' },
  { name: 'photo-24mp', width: 6000, height: 4000, format: 'jpeg' },
  { name: 'portrait-8mp', width: 2448, height: 3264, format: 'jpeg' },
  { name: 'screenshot-2mp', width: 1920, height: 1080, format: 'png' },
  { name: 'scan-12mp', width: 4000, height: 3000, format: 'png' },
];

/** Share of uploads that are corrupt (truncated JPEG, text named .jpg, zero bytes), by weight. */
export const CORRUPT_WEIGHT = 3;

/** A mix of uploads: the weight of each base (absent: none), and of corrupt inputs. */
export interface LoadMix {
  weights: Readonly<Record<string, number>>;
  corrupt: number;
}

/**
 * The mixes of `--mix`: `default` is mostly phone-sized photos (20 % at 12 MP and more);
 * `heavy` puts 42 of every 98 uploads at 12 to 24 MP, PNG among them, to press on memory.
 */
export const MIXES = {
  default: {
    weights: {
      'photo-1mp': 40,
      'photo-4mp': 25,
      'photo-12mp': 15,
      'photo-24mp': 5,
      'portrait-8mp': 7,
      'screenshot-2mp': 5,
    },
    corrupt: CORRUPT_WEIGHT,
  },
  heavy: {
    weights: {
      'photo-1mp': 20,
      'photo-4mp': 15,
      'portrait-8mp': 10,
      'screenshot-2mp': 8,
      'photo-12mp': 20,
      'photo-24mp': 10,
      'scan-12mp': 12,
    },
    corrupt: CORRUPT_WEIGHT,
  },
} as const satisfies Record<string, LoadMix>;

/** The name of a mix (`--mix`). */
export type MixName = keyof typeof MIXES;

/** The weight of `spec` in `mix`. */
function weightOf(mix: LoadMix, spec: BaseSpec): number {
  return mix.weights[spec.name] ?? 0;
}

/** The bases a mix needs: those it weighs, and the 1 MP photo its corrupt inputs are cut from. */
export function basesOf(mix: LoadMix): BaseSpec[] {
  return BASES.filter((spec) => weightOf(mix, spec) > 0 || spec.name === 'photo-1mp');
}

/** Folder of the cached base images. */
export const CACHE_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../.local/load-images',
);

/** Photo-like RGBA pixels: gradients, a few discs, fine noise; distinct per `seed`. */
export function photoPixels(width: number, height: number, seed: number): Uint8ClampedArray {
  const data = new Uint8ClampedArray(width * height * 4);
  let noise = seed * 2654435761;
  const discs = Array.from({ length: 6 }, (_, i) => ({
    x: ((seed * 97 + i * 131) % 100) / 100,
    y: ((seed * 53 + i * 71) % 100) / 100,
    r: 0.05 + (((seed + i) * 37) % 20) / 100,
    c: [(i * 70 + seed * 20) % 256, (i * 140) % 256, (255 - i * 40) % 256],
  }));
  for (let y = 0; y < height; y++) {
    const fy = y / height;
    for (let x = 0; x < width; x++) {
      const fx = x / width;
      noise = (Math.imul(noise, 1103515245) + 12345) >>> 0;
      const n = ((noise >>> 25) & 31) - 16;
      let r = 255 * fx;
      let g = 255 * fy;
      let b = 128 + 100 * Math.sin(fx * 12 + fy * 7 + seed);
      for (const d of discs) {
        if ((fx - d.x) ** 2 + (fy - d.y) ** 2 < d.r * d.r)
          [r, g, b] = d.c as [number, number, number];
      }
      const i = (y * width + x) * 4;
      data[i] = r + n;
      data[i + 1] = g + n;
      data[i + 2] = b + n;
      data[i + 3] = 255;
    }
  }
  return data;
}

function cachePath(spec: BaseSpec): string {
  return path.join(CACHE_DIR, `${spec.name}.${spec.format === 'jpeg' ? 'jpg' : 'png'}`);
}

/** Encodes the missing base images named (all when none are), run in a child process. */
export async function generateMissingBases(names: readonly string[] = []): Promise<void> {
  mkdirSync(CACHE_DIR, { recursive: true });
  for (const [index, spec] of BASES.entries()) {
    const file = cachePath(spec);
    if (existsSync(file) || (names.length > 0 && !names.includes(spec.name))) continue;
    const image = {
      width: spec.width,
      height: spec.height,
      data: photoPixels(spec.width, spec.height, index + 1),
    };
    const bytes =
      spec.format === 'jpeg' ? await encodeJpegWasm(image, 90) : await encodePngWasm(image);
    writeFileSync(file, bytes);
  }
}

/**
 * Makes sure the base images of `mix` exist, encoding them in a child process so the
 * encoders' memory never counts in the load run's peak RSS; returns them.
 */
export function ensureBases(mix: LoadMix = MIXES.default): Map<string, Uint8Array> {
  const specs = basesOf(mix);
  if (!specs.every((spec) => existsSync(cachePath(spec)))) {
    const script = fileURLToPath(import.meta.url);
    const names = specs.map((spec) => spec.name);
    const run = spawnSync(process.execPath, [...loaderArgs(), script, ...names], {
      stdio: 'inherit',
    });
    if (run.status !== 0)
      throw new Error(`generating the load images failed (${String(run.status)})`);
  }
  return new Map(specs.map((spec) => [spec.name, new Uint8Array(readFileSync(cachePath(spec)))]));
}

/** One upload of the load run. */
export interface LoadImage {
  name: string;
  base: string;
  contentType: string;
  bytes: Uint8Array;
  /** True for the inputs made corrupt on purpose. */
  corrupt: boolean;
}

/** A JPEG with a comment segment (COM) after SOI: same picture, different bytes. */
function withComment(jpeg: Uint8Array, text: string): Uint8Array {
  const comment = new TextEncoder().encode(text);
  const out = new Uint8Array(jpeg.length + 4 + comment.length);
  out.set(jpeg.subarray(0, 2), 0);
  out.set([0xff, 0xfe, (comment.length + 2) >> 8, (comment.length + 2) & 0xff], 2);
  out.set(comment, 6);
  out.set(jpeg.subarray(2), 6 + comment.length);
  return out;
}

/** A PNG with a tEXt chunk after IHDR: same picture, different bytes. */
function withText(png: Uint8Array, text: string): Uint8Array {
  const body = new TextEncoder().encode(`Comment\0${text}`);
  const chunk = new Uint8Array(12 + body.length);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, body.length);
  chunk.set(new TextEncoder().encode('tEXt'), 4);
  chunk.set(body, 8);
  view.setUint32(8 + body.length, crc32(chunk.subarray(4, 8 + body.length)));
  const ihdrEnd = 8 + 25;
  const out = new Uint8Array(png.length + chunk.length);
  out.set(png.subarray(0, ihdrEnd), 0);
  out.set(chunk, ihdrEnd);
  out.set(png.subarray(ihdrEnd), ihdrEnd + chunk.length);
  return out;
}

/**
 * The `index`-th upload of a run: a variant of a base picked by its weight in `mix`, or a
 * corrupt file.
 */
export function loadImage(
  index: number,
  runId: string,
  bases: Map<string, Uint8Array>,
  mix: LoadMix = MIXES.default,
): LoadImage {
  const total = BASES.reduce((sum, spec) => sum + weightOf(mix, spec), 0) + mix.corrupt;
  // A fixed stride through the weights spreads the sizes evenly over the burst.
  let slot = (index * 37) % total;
  const tag = `load ${runId} #${index}`;
  for (const spec of BASES) {
    const weight = weightOf(mix, spec);
    if (slot < weight) {
      const base = bases.get(spec.name)!;
      const jpeg = spec.format === 'jpeg';
      return {
        name: `load-${runId}/${String(index).padStart(5, '0')}-${spec.name}.${jpeg ? 'jpg' : 'png'}`,
        base: spec.name,
        contentType: jpeg ? 'image/jpeg' : 'image/png',
        bytes: jpeg ? withComment(base, tag) : withText(base, tag),
        corrupt: false,
      };
    }
    slot -= weight;
  }
  const photo = bases.get('photo-1mp')!;
  const kind = index % 3;
  const bytes =
    kind === 0
      ? withComment(photo, tag).subarray(0, Math.floor(photo.length / 3))
      : kind === 1
        ? new TextEncoder().encode(`not an image: ${tag}`)
        : new Uint8Array(0);
  return {
    name: `load-${runId}/${String(index).padStart(5, '0')}-corrupt-${kind}.jpg`,
    base: 'corrupt',
    contentType: 'image/jpeg',
    bytes,
    corrupt: true,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await generateMissingBases(process.argv.slice(2));
}
