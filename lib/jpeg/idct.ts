/**
 * Inverse DCTs of one 8x8 block, dequantizing on the fly, at six output sizes: 8x8 (the
 * accurate integer IDCT of libjpeg's jidctint.c); the reduced 4x4, 2x2 and 1x1 of its
 * jidctred.c, which equal the full IDCT box-averaged over 2x2, 4x4 and 8x8 pixels; and the
 * 6x6 and 3x3 of jidctint.c, true 6- and 3-point IDCTs of the block's lowest frequencies (3/8
 * scale, and its 4:2:0 chroma). Same fixed-point constants and rounding as libjpeg-turbo, so
 * results match libjpeg-based decoders.
 *
 * `coef` holds the quantized coefficients in natural (row-major) order; `quant` the
 * quantization table in natural order. Output samples go to `out` at `offset`, `stride`.
 */

const CONST_BITS = 13;
const PASS1_BITS = 2;

const FIX_0_211164243 = 1730;
const FIX_0_298631336 = 2446;
const FIX_0_366025404 = 2998;
const FIX_0_390180644 = 3196;
const FIX_0_509795579 = 4176;
const FIX_0_541196100 = 4433;
const FIX_0_601344887 = 4926;
const FIX_0_707106781 = 5793;
const FIX_0_720959822 = 5906;
const FIX_0_765366865 = 6270;
const FIX_0_850430095 = 6967;
const FIX_0_899976223 = 7373;
const FIX_1_061594337 = 8697;
const FIX_1_175875602 = 9633;
const FIX_1_224744871 = 10033;
const FIX_1_272758580 = 10426;
const FIX_1_451774981 = 11893;
const FIX_1_501321110 = 12299;
const FIX_1_847759065 = 15137;
const FIX_1_961570560 = 16069;
const FIX_2_053119869 = 16819;
const FIX_2_172734803 = 17799;
const FIX_2_562915447 = 20995;
const FIX_3_072711026 = 25172;
const FIX_3_624509785 = 29692;

/**
 * libjpeg's post-IDCT range limit: index = (value & 1023), value centred on 0; clamps to
 * 0..255 after adding 128, wrapping like libjpeg for the wild values of corrupt data.
 */
export const IDCT_LIMIT: Uint8Array = (() => {
  const table = new Uint8Array(1024);
  for (let i = 0; i < 1024; i++) {
    const value = i < 512 ? i : i - 1024;
    table[i] = Math.max(0, Math.min(255, value + 128));
  }
  return table;
})();

const workspace = new Int32Array(64);

/** The accurate 8x8 integer IDCT (libjpeg `jpeg_idct_islow`). */
export function idct8x8(
  coef: Float64Array,
  quant: Int32Array,
  out: Uint8Array,
  offset: number,
  stride: number,
): void {
  // Long on purpose: hot path (every block at 8/8); both passes inline, as libjpeg's.
  const ws = workspace;
  const limit = IDCT_LIMIT;
  for (let c = 0; c < 8; c++) {
    if (
      coef[8 + c] === 0 &&
      coef[16 + c] === 0 &&
      coef[24 + c] === 0 &&
      coef[32 + c] === 0 &&
      coef[40 + c] === 0 &&
      coef[48 + c] === 0 &&
      coef[56 + c] === 0
    ) {
      const dc = (coef[c]! * quant[c]!) << PASS1_BITS;
      ws[c] = dc;
      ws[8 + c] = dc;
      ws[16 + c] = dc;
      ws[24 + c] = dc;
      ws[32 + c] = dc;
      ws[40 + c] = dc;
      ws[48 + c] = dc;
      ws[56 + c] = dc;
      continue;
    }
    let z2 = coef[16 + c]! * quant[16 + c]!;
    let z3 = coef[48 + c]! * quant[48 + c]!;
    let z1 = (z2 + z3) * FIX_0_541196100;
    let tmp2 = z1 - z3 * FIX_1_847759065;
    let tmp3 = z1 + z2 * FIX_0_765366865;
    z2 = coef[c]! * quant[c]!;
    z3 = coef[32 + c]! * quant[32 + c]!;
    let tmp0 = (z2 + z3) * 8192;
    let tmp1 = (z2 - z3) * 8192;
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;

    tmp0 = coef[56 + c]! * quant[56 + c]!;
    tmp1 = coef[40 + c]! * quant[40 + c]!;
    tmp2 = coef[24 + c]! * quant[24 + c]!;
    tmp3 = coef[8 + c]! * quant[8 + c]!;
    z1 = tmp0 + tmp3;
    z2 = tmp1 + tmp2;
    z3 = tmp0 + tmp2;
    let z4 = tmp1 + tmp3;
    const z5 = (z3 + z4) * FIX_1_175875602;
    tmp0 *= FIX_0_298631336;
    tmp1 *= FIX_2_053119869;
    tmp2 *= FIX_3_072711026;
    tmp3 *= FIX_1_501321110;
    z1 *= -FIX_0_899976223;
    z2 *= -FIX_2_562915447;
    z3 = z3 * -FIX_1_961570560 + z5;
    z4 = z4 * -FIX_0_390180644 + z5;
    tmp0 += z1 + z3;
    tmp1 += z2 + z4;
    tmp2 += z2 + z3;
    tmp3 += z1 + z4;

    const round = 1 << (CONST_BITS - PASS1_BITS - 1);
    const shift = CONST_BITS - PASS1_BITS;
    ws[c] = (tmp10 + tmp3 + round) >> shift;
    ws[56 + c] = (tmp10 - tmp3 + round) >> shift;
    ws[8 + c] = (tmp11 + tmp2 + round) >> shift;
    ws[48 + c] = (tmp11 - tmp2 + round) >> shift;
    ws[16 + c] = (tmp12 + tmp1 + round) >> shift;
    ws[40 + c] = (tmp12 - tmp1 + round) >> shift;
    ws[24 + c] = (tmp13 + tmp0 + round) >> shift;
    ws[32 + c] = (tmp13 - tmp0 + round) >> shift;
  }

  const round = 1 << (CONST_BITS + PASS1_BITS + 3 - 1);
  const shift = CONST_BITS + PASS1_BITS + 3;
  for (let r = 0, row = 0; r < 8; r++, row += 8) {
    const o = offset + r * stride;
    if (
      ws[row + 1] === 0 &&
      ws[row + 2] === 0 &&
      ws[row + 3] === 0 &&
      ws[row + 4] === 0 &&
      ws[row + 5] === 0 &&
      ws[row + 6] === 0 &&
      ws[row + 7] === 0
    ) {
      const v = limit[((ws[row]! + 16) >> 5) & 1023]!;
      out[o] = v;
      out[o + 1] = v;
      out[o + 2] = v;
      out[o + 3] = v;
      out[o + 4] = v;
      out[o + 5] = v;
      out[o + 6] = v;
      out[o + 7] = v;
      continue;
    }
    let z2 = ws[row + 2]!;
    let z3 = ws[row + 6]!;
    let z1 = (z2 + z3) * FIX_0_541196100;
    let tmp2 = z1 - z3 * FIX_1_847759065;
    let tmp3 = z1 + z2 * FIX_0_765366865;
    let tmp0 = (ws[row]! + ws[row + 4]!) * 8192;
    let tmp1 = (ws[row]! - ws[row + 4]!) * 8192;
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;

    tmp0 = ws[row + 7]!;
    tmp1 = ws[row + 5]!;
    tmp2 = ws[row + 3]!;
    tmp3 = ws[row + 1]!;
    z1 = tmp0 + tmp3;
    z2 = tmp1 + tmp2;
    z3 = tmp0 + tmp2;
    let z4 = tmp1 + tmp3;
    const z5 = (z3 + z4) * FIX_1_175875602;
    tmp0 *= FIX_0_298631336;
    tmp1 *= FIX_2_053119869;
    tmp2 *= FIX_3_072711026;
    tmp3 *= FIX_1_501321110;
    z1 *= -FIX_0_899976223;
    z2 *= -FIX_2_562915447;
    z3 = z3 * -FIX_1_961570560 + z5;
    z4 = z4 * -FIX_0_390180644 + z5;
    tmp0 += z1 + z3;
    tmp1 += z2 + z4;
    tmp2 += z2 + z3;
    tmp3 += z1 + z4;

    out[o] = limit[((tmp10 + tmp3 + round) >> shift) & 1023]!;
    out[o + 7] = limit[((tmp10 - tmp3 + round) >> shift) & 1023]!;
    out[o + 1] = limit[((tmp11 + tmp2 + round) >> shift) & 1023]!;
    out[o + 6] = limit[((tmp11 - tmp2 + round) >> shift) & 1023]!;
    out[o + 2] = limit[((tmp12 + tmp1 + round) >> shift) & 1023]!;
    out[o + 5] = limit[((tmp12 - tmp1 + round) >> shift) & 1023]!;
    out[o + 3] = limit[((tmp13 + tmp0 + round) >> shift) & 1023]!;
    out[o + 4] = limit[((tmp13 - tmp0 + round) >> shift) & 1023]!;
  }
}

/** The 4x4 reduced IDCT (libjpeg `jpeg_idct_4x4`): half size; row and column 4 unused. */
export function idct4x4(
  coef: Float64Array,
  quant: Int32Array,
  out: Uint8Array,
  offset: number,
  stride: number,
): void {
  // Long on purpose: hot path (every block at 4/8); both passes inline, as libjpeg's.
  const ws = workspace;
  const limit = IDCT_LIMIT;
  for (let c = 0; c < 8; c++) {
    if (c === 4) continue;
    if (
      coef[8 + c] === 0 &&
      coef[16 + c] === 0 &&
      coef[24 + c] === 0 &&
      coef[40 + c] === 0 &&
      coef[48 + c] === 0 &&
      coef[56 + c] === 0
    ) {
      const dc = (coef[c]! * quant[c]!) << PASS1_BITS;
      ws[c] = dc;
      ws[8 + c] = dc;
      ws[16 + c] = dc;
      ws[24 + c] = dc;
      continue;
    }
    const tmp0 = coef[c]! * quant[c]! * 16384;
    let z2 = coef[16 + c]! * quant[16 + c]!;
    let z3 = coef[48 + c]! * quant[48 + c]!;
    let tmp2 = z2 * FIX_1_847759065 - z3 * FIX_0_765366865;
    const tmp10 = tmp0 + tmp2;
    const tmp12 = tmp0 - tmp2;
    const z1 = coef[56 + c]! * quant[56 + c]!;
    z2 = coef[40 + c]! * quant[40 + c]!;
    z3 = coef[24 + c]! * quant[24 + c]!;
    const z4 = coef[8 + c]! * quant[8 + c]!;
    const odd0 =
      -z1 * FIX_0_211164243 + z2 * FIX_1_451774981 - z3 * FIX_2_172734803 + z4 * FIX_1_061594337;
    tmp2 =
      -z1 * FIX_0_509795579 - z2 * FIX_0_601344887 + z3 * FIX_0_899976223 + z4 * FIX_2_562915447;
    const shift = CONST_BITS - PASS1_BITS + 1;
    const round = 1 << (shift - 1);
    ws[c] = (tmp10 + tmp2 + round) >> shift;
    ws[24 + c] = (tmp10 - tmp2 + round) >> shift;
    ws[8 + c] = (tmp12 + odd0 + round) >> shift;
    ws[16 + c] = (tmp12 - odd0 + round) >> shift;
  }
  const shift = CONST_BITS + PASS1_BITS + 3 + 1;
  const round = 1 << (shift - 1);
  for (let r = 0, row = 0; r < 4; r++, row += 8) {
    const o = offset + r * stride;
    if (
      ws[row + 1] === 0 &&
      ws[row + 2] === 0 &&
      ws[row + 3] === 0 &&
      ws[row + 5] === 0 &&
      ws[row + 6] === 0 &&
      ws[row + 7] === 0
    ) {
      const v = limit[((ws[row]! + 16) >> 5) & 1023]!;
      out[o] = v;
      out[o + 1] = v;
      out[o + 2] = v;
      out[o + 3] = v;
      continue;
    }
    const tmp0 = ws[row]! * 16384;
    let tmp2 = ws[row + 2]! * FIX_1_847759065 - ws[row + 6]! * FIX_0_765366865;
    const tmp10 = tmp0 + tmp2;
    const tmp12 = tmp0 - tmp2;
    const z1 = ws[row + 7]!;
    const z2 = ws[row + 5]!;
    const z3 = ws[row + 3]!;
    const z4 = ws[row + 1]!;
    const odd0 =
      -z1 * FIX_0_211164243 + z2 * FIX_1_451774981 - z3 * FIX_2_172734803 + z4 * FIX_1_061594337;
    tmp2 =
      -z1 * FIX_0_509795579 - z2 * FIX_0_601344887 + z3 * FIX_0_899976223 + z4 * FIX_2_562915447;
    out[o] = limit[((tmp10 + tmp2 + round) >> shift) & 1023]!;
    out[o + 3] = limit[((tmp10 - tmp2 + round) >> shift) & 1023]!;
    out[o + 1] = limit[((tmp12 + odd0 + round) >> shift) & 1023]!;
    out[o + 2] = limit[((tmp12 - odd0 + round) >> shift) & 1023]!;
  }
}

/**
 * The 6x6 IDCT (libjpeg `jpeg_idct_6x6`): a 6-point IDCT of rows and columns 0..5, for 4:2:0
 * chroma at 3/8 scale (one chroma block covers a 6x6 luma area there). Rows and columns 6, 7
 * unused.
 */
export function idct6x6(
  coef: Float64Array,
  quant: Int32Array,
  out: Uint8Array,
  offset: number,
  stride: number,
): void {
  // Long on purpose: hot path (4:2:0 chroma at 3/8); both passes inline, as libjpeg's.
  const ws = workspace;
  const limit = IDCT_LIMIT;
  const shift1 = CONST_BITS - PASS1_BITS;
  for (let c = 0; c < 6; c++) {
    if (
      coef[8 + c] === 0 &&
      coef[16 + c] === 0 &&
      coef[24 + c] === 0 &&
      coef[32 + c] === 0 &&
      coef[40 + c] === 0
    ) {
      const dc = (coef[c]! * quant[c]!) << PASS1_BITS;
      ws[c] = dc;
      ws[8 + c] = dc;
      ws[16 + c] = dc;
      ws[24 + c] = dc;
      ws[32 + c] = dc;
      ws[40 + c] = dc;
      continue;
    }
    let tmp0 = coef[c]! * quant[c]! * 8192 + (1 << (shift1 - 1));
    let tmp10 = coef[32 + c]! * quant[32 + c]! * FIX_0_707106781;
    let tmp1 = tmp0 + tmp10;
    const tmp11 = (tmp0 - tmp10 - tmp10) >> shift1;
    tmp0 = coef[16 + c]! * quant[16 + c]! * FIX_1_224744871;
    tmp10 = tmp1 + tmp0;
    const tmp12 = tmp1 - tmp0;

    const z1 = coef[8 + c]! * quant[8 + c]!;
    const z2 = coef[24 + c]! * quant[24 + c]!;
    const z3 = coef[40 + c]! * quant[40 + c]!;
    tmp1 = (z1 + z3) * FIX_0_366025404;
    tmp0 = tmp1 + (z1 + z2) * 8192;
    const tmp2 = tmp1 + (z3 - z2) * 8192;
    tmp1 = (z1 - z2 - z3) << PASS1_BITS;

    ws[c] = (tmp10 + tmp0) >> shift1;
    ws[40 + c] = (tmp10 - tmp0) >> shift1;
    ws[8 + c] = tmp11 + tmp1;
    ws[32 + c] = tmp11 - tmp1;
    ws[16 + c] = (tmp12 + tmp2) >> shift1;
    ws[24 + c] = (tmp12 - tmp2) >> shift1;
  }
  const shift = CONST_BITS + PASS1_BITS + 3;
  for (let r = 0, row = 0; r < 6; r++, row += 8) {
    const o = offset + r * stride;
    if (
      ws[row + 1] === 0 &&
      ws[row + 2] === 0 &&
      ws[row + 3] === 0 &&
      ws[row + 4] === 0 &&
      ws[row + 5] === 0
    ) {
      const v = limit[((ws[row]! + 16) >> 5) & 1023]!;
      out[o] = v;
      out[o + 1] = v;
      out[o + 2] = v;
      out[o + 3] = v;
      out[o + 4] = v;
      out[o + 5] = v;
      continue;
    }
    let tmp0 = (ws[row]! + (1 << (PASS1_BITS + 2))) * 8192;
    let tmp10 = ws[row + 4]! * FIX_0_707106781;
    let tmp1 = tmp0 + tmp10;
    const tmp11 = tmp0 - tmp10 - tmp10;
    tmp0 = ws[row + 2]! * FIX_1_224744871;
    tmp10 = tmp1 + tmp0;
    const tmp12 = tmp1 - tmp0;

    const z1 = ws[row + 1]!;
    const z2 = ws[row + 3]!;
    const z3 = ws[row + 5]!;
    tmp1 = (z1 + z3) * FIX_0_366025404;
    tmp0 = tmp1 + (z1 + z2) * 8192;
    const tmp2 = tmp1 + (z3 - z2) * 8192;
    tmp1 = (z1 - z2 - z3) * 8192;

    out[o] = limit[((tmp10 + tmp0) >> shift) & 1023]!;
    out[o + 5] = limit[((tmp10 - tmp0) >> shift) & 1023]!;
    out[o + 1] = limit[((tmp11 + tmp1) >> shift) & 1023]!;
    out[o + 4] = limit[((tmp11 - tmp1) >> shift) & 1023]!;
    out[o + 2] = limit[((tmp12 + tmp2) >> shift) & 1023]!;
    out[o + 3] = limit[((tmp12 - tmp2) >> shift) & 1023]!;
  }
}

/**
 * The 3x3 IDCT (libjpeg `jpeg_idct_3x3`): 3/8 size, a 3-point IDCT of rows and columns 0..2.
 * Unlike the 2x2 (an exact box average of the 8x8 IDCT, which aliases when a resize follows),
 * it keeps only the frequencies three samples can carry.
 */
export function idct3x3(
  coef: Float64Array,
  quant: Int32Array,
  out: Uint8Array,
  offset: number,
  stride: number,
): void {
  const ws = workspace;
  const limit = IDCT_LIMIT;
  const shift1 = CONST_BITS - PASS1_BITS;
  for (let c = 0; c < 3; c++) {
    const tmp0 = coef[c]! * quant[c]! * 8192 + (1 << (shift1 - 1));
    const tmp12 = coef[16 + c]! * quant[16 + c]! * FIX_0_707106781;
    const tmp10 = tmp0 + tmp12;
    const odd = coef[8 + c]! * quant[8 + c]! * FIX_1_224744871;
    ws[c] = (tmp10 + odd) >> shift1;
    ws[16 + c] = (tmp10 - odd) >> shift1;
    ws[8 + c] = (tmp0 - tmp12 - tmp12) >> shift1;
  }
  const shift = CONST_BITS + PASS1_BITS + 3;
  for (let r = 0, row = 0; r < 3; r++, row += 8) {
    const o = offset + r * stride;
    const tmp0 = (ws[row]! + (1 << (PASS1_BITS + 2))) * 8192;
    const tmp12 = ws[row + 2]! * FIX_0_707106781;
    const tmp10 = tmp0 + tmp12;
    const odd = ws[row + 1]! * FIX_1_224744871;
    out[o] = limit[((tmp10 + odd) >> shift) & 1023]!;
    out[o + 2] = limit[((tmp10 - odd) >> shift) & 1023]!;
    out[o + 1] = limit[((tmp0 - tmp12 - tmp12) >> shift) & 1023]!;
  }
}

/** Per odd row r of a column, its weight in the 2x2 IDCT's first pass (libjpeg constants). */
export const ODD_ROW_2X2: Float64Array = new Float64Array([
  0,
  FIX_3_624509785,
  0,
  -FIX_1_272758580,
  0,
  FIX_0_850430095,
  0,
  -FIX_0_720959822,
]);

/**
 * The 2x2 reduced IDCT (libjpeg `jpeg_idct_2x2`): quarter size; even rows and columns unused.
 * At 2/8 scale it runs once per luma block, so the decoder does its first half while reading
 * the codes: `sums[c]` holds row 0 of column c dequantized and scaled by 2^15, `sums[8 + c]`
 * the weighted sum of its odd rows (see ODD_ROW_2X2), for c in 0, 1, 3, 5, 7. The integer
 * sums and the rounding are libjpeg's, so the pixels are too. Clears the sums it reads.
 */
export function idct2x2(sums: Float64Array, out: Uint8Array, offset: number, stride: number): void {
  const d0 = sums[0]!;
  const d1 = sums[1]!;
  const d3 = sums[3]!;
  const d5 = sums[5]!;
  const d7 = sums[7]!;
  const o0 = sums[8]!;
  const o1 = sums[9]!;
  const o3 = sums[11]!;
  const o5 = sums[13]!;
  const o7 = sums[15]!;
  sums[1] = 0;
  sums[3] = 0;
  sums[5] = 0;
  sums[7] = 0;
  sums[8] = 0;
  sums[9] = 0;
  sums[11] = 0;
  sums[13] = 0;
  sums[15] = 0;
  const shift1 = CONST_BITS - PASS1_BITS + 2;
  const round1 = 1 << (shift1 - 1);
  const shift = CONST_BITS + PASS1_BITS + 3 + 2;
  const round = 1 << (shift - 1);
  const limit = IDCT_LIMIT;
  for (let r = 0, sign = 1, o = offset; r < 2; r++, sign = -1, o += stride) {
    const w0 = (d0 + sign * o0 + round1) >> shift1;
    const w1 = (d1 + sign * o1 + round1) >> shift1;
    const w3 = (d3 + sign * o3 + round1) >> shift1;
    const w5 = (d5 + sign * o5 + round1) >> shift1;
    const w7 = (d7 + sign * o7 + round1) >> shift1;
    const tmp10 = w0 * 32768;
    const tmp0 =
      -w7 * FIX_0_720959822 + w5 * FIX_0_850430095 - w3 * FIX_1_272758580 + w1 * FIX_3_624509785;
    out[o] = limit[((tmp10 + tmp0 + round) >> shift) & 1023]!;
    out[o + 1] = limit[((tmp10 - tmp0 + round) >> shift) & 1023]!;
  }
}

/** The 1x1 reduced IDCT (libjpeg `jpeg_idct_1x1`): the block's mean from its DC alone. */
export function idct1x1(
  coef: Float64Array,
  quant: Int32Array,
  out: Uint8Array,
  offset: number,
): void {
  out[offset] = IDCT_LIMIT[((coef[0]! * quant[0]! + 4) >> 3) & 1023]!;
}
