/**
 * A CMYK profile's conversion to sRGB as a 16x16x16x16 grid of LittleCMS's own answers,
 * interpolated here: LittleCMS in WASM converts about 2-5 pixels per microsecond on this
 * machine, too slow for the 1.7 MP a 12 MP photo decodes to (0.5-0.8 s), while the grid is
 * sampled once per profile (65,536 pixels through LittleCMS) and interpolates at about
 * 30 pixels per microsecond. LittleCMS does the same for 8-bit CMYK internally (a 17-point grid,
 * interpolated); this keeps that idea and runs it in JavaScript.
 */

/** Grid nodes per channel: 0, 17, 34, ... 255, all exact 8-bit values LittleCMS can be given. */
const NODES = 16;
const STEP = 255 / (NODES - 1);

/** The 65,536 CMYK node colours, packed, K varying fastest, then Y, M, C. */
export function gridNodes(): Uint8Array {
  const nodes = new Uint8Array(NODES ** 4 * 4);
  let o = 0;
  for (let c = 0; c < NODES; c++) {
    for (let m = 0; m < NODES; m++) {
      for (let y = 0; y < NODES; y++) {
        for (let k = 0; k < NODES; k++, o += 4) {
          nodes[o] = c * STEP;
          nodes[o + 1] = m * STEP;
          nodes[o + 2] = y * STEP;
          nodes[o + 3] = k * STEP;
        }
      }
    }
  }
  return nodes;
}

/** Strides of the grid of RGB answers (3 per node), in the order of `gridNodes`. */
const DK = 3;
const DY = NODES * DK;
const DM = NODES * DY;
const DC = NODES * DM;

/** Node below each 8-bit value (0-14), and the fraction of the way to the next node. */
const NODE_BELOW = new Uint8Array(256);
const FRACTION = new Float32Array(256);
for (let v = 0; v < 256; v++) {
  NODE_BELOW[v] = Math.min(NODES - 2, Math.floor(v / STEP));
  FRACTION[v] = v / STEP - NODE_BELOW[v]!;
}

/**
 * The six tetrahedra of a cube, by which of C, M, Y has the largest fraction, then the next:
 * c>=m>=y, c>=y>m, y>c>=m, m>c>=y, m>=y>c, y>m>c. For each, the grid offset of the path's first
 * and second vertex (the third is always the far corner) and the order of the fractions.
 */
const EDGE1 = Int32Array.from([DC, DC, DY, DM, DM, DY]);
const EDGE2 = Int32Array.from([DC + DM, DC + DY, DC + DY, DC + DM, DM + DY, DM + DY]);
const ORDER = Uint8Array.from([0, 1, 2, 0, 2, 1, 2, 0, 1, 1, 0, 2, 1, 2, 0, 2, 1, 0]);

/**
 * Converts packed ink CMYK (4 bytes per pixel) to packed RGB (3 bytes) through `grid`, the RGB
 * answers for `gridNodes()`: tetrahedral interpolation in C, M, Y at the two K slices around
 * the pixel's K, then linear in K, as LittleCMS's own 4-input evaluation does.
 */
export function interpolateCmyk(grid: Uint8Array, pixels: Uint8Array, count: number): Uint8Array {
  const out = new Uint8Array(count * 3);
  const fractions = new Float64Array(3);
  for (let i = 0; i < count; i++) {
    const c = pixels[i * 4]!;
    const m = pixels[i * 4 + 1]!;
    const y = pixels[i * 4 + 2]!;
    const k = pixels[i * 4 + 3]!;
    const fc = FRACTION[c]!;
    const fm = FRACTION[m]!;
    const fy = FRACTION[y]!;
    const fk = FRACTION[k]!;
    const base =
      NODE_BELOW[c]! * DC + NODE_BELOW[m]! * DM + NODE_BELOW[y]! * DY + NODE_BELOW[k]! * DK;
    // The tetrahedron of the unit cube the point lies in: the path from the cube's origin along
    // the axes in order of their fractions, largest first (see EDGE1).
    const t = fc >= fm ? (fm >= fy ? 0 : fc >= fy ? 1 : 2) : fc >= fy ? 3 : fm >= fy ? 4 : 5;
    fractions[0] = fc;
    fractions[1] = fm;
    fractions[2] = fy;
    const e1 = EDGE1[t]!;
    const e2 = EDGE2[t]!;
    const f1 = fractions[ORDER[t * 3]!]!;
    const f2 = fractions[ORDER[t * 3 + 1]!]!;
    const f3 = fractions[ORDER[t * 3 + 2]!]!;
    const e3 = DC + DM + DY;
    for (let ch = 0; ch < 3; ch++) {
      const p = base + ch;
      const a0 = grid[p]!;
      const a1 = grid[p + e1]!;
      const a2 = grid[p + e2]!;
      const low = a0 + (a1 - a0) * f1 + (a2 - a1) * f2 + (grid[p + e3]! - a2) * f3;
      const b0 = grid[p + DK]!;
      const b1 = grid[p + DK + e1]!;
      const b2 = grid[p + DK + e2]!;
      const high = b0 + (b1 - b0) * f1 + (b2 - b1) * f2 + (grid[p + DK + e3]! - b2) * f3;
      out[i * 3 + ch] = Math.round(low + (high - low) * fk);
    }
  }
  return out;
}
