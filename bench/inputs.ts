/**
 * Generates the benchmark's photo-like inputs with sharp and caches them under `.bench/inputs/`.
 * Flat colour compresses and decodes unrealistically fast, so every input mixes what a photo
 * has: smooth gradients, mid-frequency texture, hard-edged shapes, text-like fine detail, fine
 * stripes (the aliasing trap) and sensor noise, then is written like a camera would (JPEG q90,
 * 4:2:0 chroma, EXIF) or as a PNG with a transparent vignette.
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { BenchCase } from './cases.js';

/** Bump when the generator changes, so stale cached inputs are not reused. */
const GENERATOR_VERSION = 1;

/** A deterministic PRNG (mulberry32): the same inputs on every machine and every run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A small random RGB image, upscaled smoothly: the colour field of sky, walls, foliage. */
async function colourField(
  random: () => number,
  width: number,
  height: number,
  cells: number,
): Promise<Buffer> {
  const cw = cells;
  const ch = Math.max(2, Math.round((cells * height) / width));
  const small = Buffer.alloc(cw * ch * 3);
  for (let i = 0; i < small.length; i++) small[i] = Math.floor(40 + random() * 180);
  return sharp(small, { raw: { width: cw, height: ch, channels: 3 } })
    .resize(width, height, { kernel: 'cubic', fit: 'fill' })
    .raw()
    .toBuffer();
}

function colour(random: () => number): string {
  const c = () => Math.floor(random() * 256);
  return `rgb(${c()},${c()},${c()})`;
}

/** Glyph-like strokes in lines, like a sign or a page in the picture: dense high frequency. */
function textBlock(random: () => number, x: number, y: number, w: number, size: number): string {
  const parts: string[] = [];
  const lines = 6 + Math.floor(random() * 10);
  for (let line = 0; line < lines; line++) {
    const baseline = y + (line + 1) * size * 1.5;
    let cursor = x;
    while (cursor < x + w - size) {
      const glyphs = 2 + Math.floor(random() * 8);
      for (let g = 0; g < glyphs && cursor < x + w - size; g++) {
        const gw = size * (0.4 + random() * 0.3);
        const top = baseline - size * (0.6 + random() * 0.4);
        // A vertical stem, a bowl or bar, and sometimes a diagonal: enough to look like type.
        parts.push(`M${cursor.toFixed(1)} ${baseline.toFixed(1)}V${top.toFixed(1)}`);
        parts.push(
          `M${cursor.toFixed(1)} ${(baseline - size * 0.5).toFixed(1)}h${gw.toFixed(1)}v${(size * 0.5).toFixed(1)}`,
        );
        if (random() < 0.4)
          parts.push(`M${cursor.toFixed(1)} ${top.toFixed(1)}l${gw.toFixed(1)} ${size * 0.4}`);
        cursor += gw + size * 0.25;
      }
      cursor += size * 0.7;
    }
  }
  const stroke = Math.max(1, size / 9).toFixed(1);
  const ink = random() < 0.5 ? '#111' : colour(random);
  return (
    `<rect x="${x}" y="${y}" width="${w}" height="${(lines + 1) * size * 1.5}" fill="#f2efe6" opacity="0.92"/>` +
    `<path d="${parts.join('')}" stroke="${ink}" stroke-width="${stroke}" fill="none"/>`
  );
}

/** Shapes, soft shading, fine stripes and text blocks, as one SVG the size of the image. */
function overlaySvg(random: () => number, width: number, height: number): string {
  const scale = Math.sqrt((width * height) / 12e6);
  const items: string[] = [];
  const defs: string[] = [];
  for (let i = 0; i < 12; i++) {
    defs.push(
      `<radialGradient id="g${i}"><stop offset="0" stop-color="${colour(random)}"/>` +
        `<stop offset="1" stop-color="${colour(random)}" stop-opacity="0"/></radialGradient>`,
    );
  }
  defs.push(
    `<pattern id="stripes" width="3" height="3" patternUnits="userSpaceOnUse">` +
      `<rect width="3" height="1.5" fill="#222"/><rect y="1.5" width="3" height="1.5" fill="#ddd"/></pattern>`,
  );
  const shapes = Math.round(120 * scale);
  for (let i = 0; i < shapes; i++) {
    const x = random() * width;
    const y = random() * height;
    const r = (20 + random() * 400) * scale;
    const opacity = (0.3 + random() * 0.7).toFixed(2);
    const kind = random();
    if (kind < 0.3) {
      items.push(
        `<circle cx="${x}" cy="${y}" r="${r}" fill="url(#g${i % 12})" opacity="${opacity}"/>`,
      );
    } else if (kind < 0.55) {
      const angle = Math.floor(random() * 180);
      items.push(
        `<rect x="${x}" y="${y}" width="${r * 1.6}" height="${r}" fill="${colour(random)}" ` +
          `opacity="${opacity}" transform="rotate(${angle} ${x} ${y})"/>`,
      );
    } else if (kind < 0.8) {
      const points = Array.from({ length: 3 + Math.floor(random() * 4) }, () => {
        return `${(x + (random() - 0.5) * 2 * r).toFixed(0)},${(y + (random() - 0.5) * 2 * r).toFixed(0)}`;
      }).join(' ');
      items.push(`<polygon points="${points}" fill="${colour(random)}" opacity="${opacity}"/>`);
    } else {
      items.push(
        `<line x1="${x}" y1="${y}" x2="${x + (random() - 0.5) * 6 * r}" y2="${y + (random() - 0.5) * 6 * r}" ` +
          `stroke="${colour(random)}" stroke-width="${(1 + random() * 6) * scale}" opacity="${opacity}"/>`,
      );
    }
  }
  // Fine stripes (a shirt, a fence, a screen): a nearest-neighbour downscale would alias here.
  for (let i = 0; i < 4; i++) {
    const w = (150 + random() * 350) * scale;
    items.push(
      `<rect x="${random() * (width - w)}" y="${random() * (height - w)}" width="${w}" height="${w * 0.7}" ` +
        `fill="url(#stripes)" transform="rotate(${Math.floor(random() * 40) - 20} ${width / 2} ${height / 2})"/>`,
    );
  }
  const blocks = Math.max(2, Math.round(6 * scale));
  for (let i = 0; i < blocks; i++) {
    const w = (300 + random() * 600) * scale;
    const size = 9 + random() * 14;
    items.push(textBlock(random, random() * (width - w), random() * height * 0.8, w, size));
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<defs>${defs.join('')}</defs>${items.join('')}</svg>`
  );
}

/** Adds sensor-like noise (luma and a little chroma) in place: what real photos are full of. */
function addNoise(random: () => number, pixels: Buffer, channels: number): void {
  for (let i = 0; i < pixels.length; i += channels) {
    // Sum of uniforms: a cheap approximately normal luma noise, sigma about 4 levels.
    const luma = (random() + random() + random() - 1.5) * 14;
    for (let c = 0; c < 3; c++) {
      const value = (pixels[i + c] as number) + luma + (random() - 0.5) * 6;
      pixels[i + c] = value < 0 ? 0 : value > 255 ? 255 : value;
    }
  }
}

/** An opaque centre fading to transparent corners, so the PNG case exercises alpha end to end. */
function vignetteAlpha(width: number, height: number): Buffer {
  const alpha = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++) {
    const dy = (y - height / 2) / (height / 2);
    for (let x = 0; x < width; x++) {
      const dx = (x - width / 2) / (width / 2);
      const d = Math.sqrt(dx * dx + dy * dy);
      alpha[y * width + x] = d < 0.9 ? 255 : d > 1.3 ? 0 : Math.round(255 * (1.3 - d) * 2.5);
    }
  }
  return alpha;
}

/** Renders one case's input image and encodes it. */
export async function renderInput(benchCase: BenchCase): Promise<Buffer> {
  const { width, height } = benchCase;
  const random = seededRandom(width * 7919 + height);
  const base = await colourField(random, width, height, 10);
  const texture = await colourField(random, width, height, 90);
  const raw = { width, height, channels: 3 as const };
  const scene = await sharp(base, { raw })
    .composite([
      { input: texture, raw, blend: 'soft-light' },
      { input: Buffer.from(overlaySvg(random, width, height)), blend: 'over' },
    ])
    .removeAlpha()
    .raw()
    .toBuffer();
  addNoise(random, scene, 3);
  if (benchCase.format === 'png') {
    const image = sharp(scene, { raw });
    if (benchCase.alpha) {
      image.joinChannel(vignetteAlpha(width, height), { raw: { width, height, channels: 1 } });
    }
    return image.png({ compressionLevel: 6 }).toBuffer();
  }
  const image = sharp(scene, { raw });
  // CMYK: converted through sharp's own CMYK profile ("Chemical proof"), which it embeds.
  if (benchCase.cmyk) image.toColourspace('cmyk').withIccProfile('cmyk');
  return image
    .jpeg({ quality: 90, chromaSubsampling: '4:2:0' })
    .withExif({
      IFD0: { Make: 'Bench', Model: 'Photo-like generator', Software: 'serverless-img bench' },
      IFD2: { DateTimeOriginal: '2026:11:25 08:00:00', ExposureTime: '1/125', FNumber: '28/10' },
    })
    .toBuffer();
}

/** Path of one case's cached input, generating it first when missing (idempotent). */
export async function ensureInput(benchCase: BenchCase, directory: string): Promise<string> {
  const extension = benchCase.format === 'png' ? 'png' : 'jpg';
  const path = join(directory, `${benchCase.name}.v${GENERATOR_VERSION}.${extension}`);
  if (existsSync(path)) return path;
  await mkdir(directory, { recursive: true });
  const bytes = await renderInput(benchCase);
  const partial = `${path}.${process.pid}.partial`;
  await writeFile(partial, bytes);
  await rename(partial, path);
  return path;
}
