/**
 * Turns decoded component planes into RGBA at the output size: chroma upsampling (libjpeg's
 * "fancy" triangle filter for 2:1 ratios, replication otherwise) and YCbCr → RGB with the
 * fixed-point tables of libjpeg's jdcolor.c, one output row at a time.
 */

/** One component's decoded samples, and how much to stretch them to the output grid. */
export interface PlaneComponent {
  plane: Uint8Array;
  stride: number;
  /**
   * Output pixels per sample, horizontally and vertically: a whole number (2, 3, 4) to
   * upsample, or its reciprocal (1/2, 1/3, 1/4) to box-average that many samples into one pixel.
   */
  hExpand: number;
  vExpand: number;
  /** Samples that belong to the image (the rest of the plane is block padding). */
  width: number;
  height: number;
}

/** The YCbCr → RGB coefficients of JFIF (libjpeg's jdcolor.c), for conversions in floating point. */
export const YCC_TO_RGB = { crToR: 1.402, cbToB: 1.772, crToG: 0.71414, cbToG: 0.34414 } as const;

const SCALE_BITS = 16;
const ONE_HALF = 1 << (SCALE_BITS - 1);
const fix = (x: number): number => Math.round(x * (1 << SCALE_BITS));

const CR_R = new Int32Array(256);
const CB_B = new Int32Array(256);
const CR_G = new Int32Array(256);
const CB_G = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  const x = i - 128;
  CR_R[i] = (fix(YCC_TO_RGB.crToR) * x + ONE_HALF) >> SCALE_BITS;
  CB_B[i] = (fix(YCC_TO_RGB.cbToB) * x + ONE_HALF) >> SCALE_BITS;
  CR_G[i] = -fix(YCC_TO_RGB.crToG) * x;
  CB_G[i] = -fix(YCC_TO_RGB.cbToG) * x + ONE_HALF;
}

/**
 * Produces the RGBA bitmap (`width` x `height`) from 1 (grey) or 3 (YCbCr or RGB) planes.
 * `fancy` selects triangle-filter upsampling, as libjpeg does above 1/8 scale.
 */
export function convertToRgba(
  components: PlaneComponent[],
  width: number,
  height: number,
  colorSpace: 'ycbcr' | 'rgb' | 'gray',
  fancy: boolean,
): Uint8ClampedArray {
  const out = new Uint8ClampedArray(width * height * 4);
  const rows = components.map((c) => new RowSource(c, fancy));
  let p = 0;
  if (colorSpace === 'gray') {
    const g = rows[0]!;
    for (let y = 0; y < height; y++) {
      g.load(y);
      const src = g.samples;
      const o = g.offset;
      for (let x = 0; x < width; x++) {
        const v = src[o + x]!;
        out[p] = v;
        out[p + 1] = v;
        out[p + 2] = v;
        out[p + 3] = 255;
        p += 4;
      }
    }
    return out;
  }
  const [r0, r1, r2] = rows as [RowSource, RowSource, RowSource];
  const ycc = colorSpace === 'ycbcr';
  for (let y = 0; y < height; y++) {
    r0.load(y);
    r1.load(y);
    r2.load(y);
    const s0 = r0.samples;
    const s1 = r1.samples;
    const s2 = r2.samples;
    const o0 = r0.offset;
    const o1 = r1.offset;
    const o2 = r2.offset;
    if (ycc) {
      for (let x = 0; x < width; x++) {
        const luma = s0[o0 + x]!;
        const cb = s1[o1 + x]!;
        const cr = s2[o2 + x]!;
        out[p] = luma + CR_R[cr]!;
        out[p + 1] = luma + ((CB_G[cb]! + CR_G[cr]!) >> SCALE_BITS);
        out[p + 2] = luma + CB_B[cb]!;
        out[p + 3] = 255;
        p += 4;
      }
    } else {
      for (let x = 0; x < width; x++) {
        out[p] = s0[o0 + x]!;
        out[p + 1] = s1[o1 + x]!;
        out[p + 2] = s2[o2 + x]!;
        out[p + 3] = 255;
        p += 4;
      }
    }
  }
  return out;
}

/** Yields one upsampled row of a component: either a view into its plane or a scratch row. */
class RowSource {
  samples: Uint8Array;
  offset = 0;
  private readonly row: Uint8Array;

  constructor(
    private readonly c: PlaneComponent,
    private readonly fancy: boolean,
  ) {
    this.row = new Uint8Array(c.width * c.hExpand + 16);
    this.samples = c.plane;
  }

  load(y: number): void {
    const c = this.c;
    if (c.hExpand < 1 || c.vExpand < 1) {
      this.average(y);
      return;
    }
    const plane = c.plane;
    const h = c.hExpand;
    const v = c.vExpand;
    const inRow = Math.min((y / v) | 0, c.height - 1);
    if (v === 2 && this.fancy && (h === 1 || (h === 2 && c.width > 2))) {
      // Triangle filter vertically: 3/4 nearer row + 1/4 the row above (even y) or below.
      const near = inRow * c.stride;
      const other = Math.max(0, Math.min(c.height - 1, y & 1 ? inRow + 1 : inRow - 1)) * c.stride;
      if (h === 1) this.verticalOnly(near, other, (y & 1) === 0 ? 1 : 2);
      else this.bothWays(near, other);
      return;
    }
    const start = inRow * c.stride;
    if (h === 1) {
      this.samples = plane;
      this.offset = start;
      return;
    }
    this.samples = this.row;
    this.offset = 0;
    if (h === 2 && this.fancy && c.width > 2) this.horizontalOnly(start);
    else {
      const row = this.row;
      for (let x = 0, o = 0; x < c.width; x++) {
        const s = plane[start + x]!;
        for (let i = 0; i < h; i++) row[o++] = s;
      }
    }
  }

  /**
   * Rows or columns of samples averaged into one pixel (a block decoded larger than needed in
   * one direction), replicated in the other direction when that one needs upsampling.
   */
  private average(y: number): void {
    const c = this.c;
    const plane = c.plane;
    const row = this.row;
    const lastRow = (plane.length / c.stride - 1) | 0;
    const lastColumn = c.stride - 1;
    if (c.vExpand < 1) {
      const n = Math.round(1 / c.vExpand);
      const first = y * n;
      const count = (c.width * c.hExpand) | 0;
      for (let x = 0; x < c.width; x++) {
        let sum = n >> 1;
        for (let r = 0; r < n; r++) sum += plane[Math.min(first + r, lastRow) * c.stride + x]!;
        const value = (sum / n) | 0;
        if (c.hExpand === 1) row[x] = value;
        else for (let i = 0; i < c.hExpand; i++) row[x * c.hExpand + i] = value;
      }
      row.fill(row[count - 1] ?? 0, count);
    } else {
      const n = Math.round(1 / c.hExpand);
      const start = Math.min((y / c.vExpand) | 0, c.height - 1) * c.stride;
      const outWidth = Math.ceil(c.width / n);
      for (let x = 0; x < outWidth; x++) {
        let sum = n >> 1;
        for (let i = 0; i < n; i++) sum += plane[start + Math.min(x * n + i, lastColumn)]!;
        row[x] = (sum / n) | 0;
      }
    }
    this.samples = row;
    this.offset = 0;
  }

  /** libjpeg h2v1_fancy_upsample. */
  private horizontalOnly(start: number): void {
    const plane = this.c.plane;
    const row = this.row;
    const last = start + this.c.width - 1;
    let s = plane[start]!;
    row[0] = s;
    row[1] = (s * 3 + plane[start + 1]! + 2) >> 2;
    let o = 2;
    for (let i = start + 1; i < last; i++) {
      s = plane[i]! * 3;
      row[o++] = (s + plane[i - 1]! + 1) >> 2;
      row[o++] = (s + plane[i + 1]! + 2) >> 2;
    }
    s = plane[last]!;
    row[o++] = (s * 3 + plane[last - 1]! + 1) >> 2;
    row[o] = s;
  }

  /** libjpeg h1v2_fancy_upsample. */
  private verticalOnly(near: number, other: number, bias: number): void {
    const plane = this.c.plane;
    const row = this.row;
    for (let x = 0; x < this.c.width; x++) {
      row[x] = (plane[near + x]! * 3 + plane[other + x]! + bias) >> 2;
    }
    this.samples = row;
    this.offset = 0;
  }

  /** libjpeg h2v2_fancy_upsample. */
  private bothWays(near: number, other: number): void {
    const plane = this.c.plane;
    const row = this.row;
    const width = this.c.width;
    let thisSum = plane[near]! * 3 + plane[other]!;
    let nextSum = plane[near + 1]! * 3 + plane[other + 1]!;
    row[0] = (thisSum * 4 + 8) >> 4;
    row[1] = (thisSum * 3 + nextSum + 7) >> 4;
    let lastSum = thisSum;
    thisSum = nextSum;
    let o = 2;
    for (let x = 2; x < width; x++) {
      nextSum = plane[near + x]! * 3 + plane[other + x]!;
      row[o++] = (thisSum * 3 + lastSum + 8) >> 4;
      row[o++] = (thisSum * 3 + nextSum + 7) >> 4;
      lastSum = thisSum;
      thisSum = nextSum;
    }
    row[o++] = (thisSum * 3 + lastSum + 8) >> 4;
    row[o] = (thisSum * 4 + 7) >> 4;
    this.samples = row;
    this.offset = 0;
  }
}
