/**
 * Photo-like test pictures drawn in memory, each a different scene (for the web-ready stages:
 * placeholder, dominant colour, perceptual hash, crop position). Deterministic: the same
 * arguments give the same pixels.
 */
import type { Bitmap } from '../../lib/types.js';
import { bitmap, type Rgba } from './images.js';

/** A deterministic noise source (a linear congruential generator), -amplitude..amplitude. */
function noise(seed: number, amplitude: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return (((state >> 16) % 1000) / 1000 - 0.5) * 2 * amplitude;
  };
}

const clamp = (value: number) => Math.max(0, Math.min(255, Math.round(value)));

/** A landscape: a sky gradient, a sun at the upper left, rolling green hills, grain. */
export function landscape(width: number, height: number): Bitmap {
  const grain = noise(11, 10);
  return bitmap(width, height, (x, y) => {
    const u = x / width;
    const v = y / height;
    const hill = 0.55 + 0.08 * Math.sin(u * 9) + 0.05 * Math.sin(u * 23 + 1);
    const sun = Math.hypot(u - 0.25, v - 0.2) < 0.08;
    const n = grain();
    if (sun) return [clamp(250 + n), clamp(230 + n), clamp(150 + n), 255];
    if (v < hill) return [clamp(90 + 100 * v + n), clamp(140 + 80 * v + n), clamp(230 + n), 255];
    const stripe = Math.sin(u * 60 + v * 20) * 15;
    return [clamp(60 + stripe + n), clamp(130 + 60 * v + stripe + n), clamp(50 + n), 255];
  });
}

/** A still life: a dark wall, a table edge across the lower third, two round fruits, grain. */
export function stillLife(width: number, height: number): Bitmap {
  const grain = noise(23, 12);
  return bitmap(width, height, (x, y) => {
    const u = x / width;
    const v = y / height;
    const n = grain();
    if (Math.hypot((u - 0.62) * 1.3, v - 0.55) < 0.18) {
      return [clamp(200 - 150 * v + n), clamp(40 + n), clamp(30 + n), 255];
    }
    if (Math.hypot((u - 0.3) * 1.3, v - 0.62) < 0.12) {
      return [clamp(230 + n), clamp(180 - 60 * v + n), clamp(20 + n), 255];
    }
    if (v > 0.7) return [clamp(120 + 40 * u + n), clamp(80 + 20 * u + n), clamp(50 + n), 255];
    return [clamp(40 + 30 * u + n), clamp(45 + 20 * v + n), clamp(60 + n), 255];
  });
}

/** The subject of `subjectRightThird`: a skin-toned face-sized disc with features. */
export const SUBJECT: Rgba = [224, 168, 130, 255];

/**
 * A wide picture (3:1) whose only subject sits in its right third: a plain, slightly grainy
 * grey-blue background and a skin-toned disc with dark features at 5/6 of the width.
 */
export function subjectRightThird(width: number, height: number): Bitmap {
  const grain = noise(5, 3);
  const radius = height * 0.3;
  return bitmap(width, height, (x, y) => {
    const dx = x - width * (5 / 6);
    const dy = y - height / 2;
    const n = grain();
    if (Math.hypot(dx, dy) < radius) {
      const feature =
        Math.hypot(Math.abs(dx) - radius * 0.35, dy + radius * 0.25) < radius * 0.12 ||
        (Math.abs(dx) < radius * 0.4 && Math.abs(dy - radius * 0.45) < radius * 0.06);
      return feature ? [60, 30, 30, 255] : [SUBJECT[0] + n, SUBJECT[1] + n, SUBJECT[2] + n, 255];
    }
    return [clamp(150 + n), clamp(158 + n), clamp(168 + n), 255];
  });
}
