/**
 * AssemblyScript source of the baseline JPEG encoder's inner loops (lib/jpeg/encoder.ts drives
 * it and writes the markers): RGBA to YCbCr, chroma halved horizontally (4:2:2), the forward DCT
 * (the fast integer one below quality 96, the accurate one from there, as TurboJPEG chooses),
 * quantization and Huffman coding with the standard tables. Every step is libjpeg-turbo's
 * (jccolor.c, jcsample.c, jfdctfst.c, jfdctint.c, jcdctmgr.c, jchuff.c, jccoefct.c), to the
 * rounding, so the entropy-coded data equals TurboJPEG's (the codec this replaced) byte for byte.
 *
 * Why our own: libjpeg-turbo compiled to WebAssembly (no SIMD there) took 17 ms of CPU for an
 * 800x600 rendition and a 50 MB memory; this takes a fraction of both (docs/performance.md).
 *
 * Memory: the caller lays out a parameter block (layout below), the RGBA pixels, three planes,
 * the quantization divisors, the Huffman codes and the output from `heapBase()` (index.ts) up.
 */

import {
  CONST_BITS,
  PASS1_BITS,
  FIX_0_298631336,
  FIX_0_390180644,
  FIX_0_541196100,
  FIX_0_765366865,
  FIX_0_899976223,
  FIX_1_175875602,
  FIX_1_501321110,
  FIX_1_847759065,
  FIX_1_961570560,
  FIX_2_053119869,
  FIX_2_562915447,
  FIX_3_072711026,
  rd32,
  rd8,
  wr32,
  wr8,
} from './common';

// Parameter block, 32-bit words.
const E_WIDTH = 0;
const E_HEIGHT = 4;
const E_RGBA = 8;
const E_Y = 12; // planes: Y at MCU-width x MCU-height, Cb and Cr at half its width
const E_CB = 16;
const E_CR = 20;
const E_DIVISORS = 24; // 2 tables x 64 x (reciprocal, correction, shift), natural order
// 4 tables (DC luma, AC luma, DC chroma, AC chroma) x 256 x (length << 16 | code):
const E_CODES = 28;
const E_OUT = 32;
const E_OUT_CAPACITY = 36;
const E_ACCURATE = 40; // 1: the accurate DCT (jfdctint.c), 0: the fast one (jfdctfst.c)

/** The most one MCU can write: 4 blocks of 64 codes of 27 bits, every byte stuffed. */
const MCU_BYTES = 4096;
/** Output ran past its capacity (the caller sizes it for the worst case, so: a bug). */
const E_OUT_FULL = -1;

/** Zigzag position → natural (row-major) position, T.81 Figure A.6. */
const NATURAL = <i32>memory.data<u8>([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
  13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59,
  52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
]);
/** The forward DCT's workspace and output, 8x8 i32, natural order. */
const BLOCK = <i32>memory.data(256, 16);
/** The block's quantized coefficients, i32, in zigzag order. */
const ZIGZAG_BLOCK = <i32>memory.data(256, 16);

// The bit writer: bits not yet written (the low `bitCount` of `bitBuffer`), and where bytes go.
let bitBuffer: u64 = 0;
let bitCount = 0;
let out = 0;
let outEnd = 0;
/** Which forward DCT this image takes. */
let accurate = false;

/**
 * Encodes the image described by the parameter block at `params` and returns the length of the
 * entropy-coded data written at its output, or E_OUT_FULL.
 */
export function encodeImage(params: i32): i32 {
  const width = rd32(params + E_WIDTH);
  const height = rd32(params + E_HEIGHT);
  const mcusX = (width + 15) >> 4;
  const mcusY = (height + 7) >> 3;
  const lumaStride = mcusX << 4;
  const chromaStride = mcusX << 3;
  const y = rd32(params + E_Y);
  const cb = rd32(params + E_CB);
  const cr = rd32(params + E_CR);
  toYcc422(rd32(params + E_RGBA), width, height, mcusY << 3, y, cb, cr, lumaStride);
  const divisors = rd32(params + E_DIVISORS);
  const codes = rd32(params + E_CODES);
  const lumaBlocks = (width + 7) >> 3;
  accurate = rd32(params + E_ACCURATE) != 0;
  bitBuffer = 0;
  bitCount = 0;
  out = rd32(params + E_OUT);
  outEnd = out + rd32(params + E_OUT_CAPACITY) - MCU_BYTES;
  let dcY = 0;
  let dcCb = 0;
  let dcCr = 0;
  for (let my = 0; my < mcusY; my++) {
    const lumaRow = y + my * 8 * lumaStride;
    const chromaRow = my * 8 * chromaStride;
    for (let mx = 0; mx < mcusX; mx++) {
      dcY = encodeBlock(lumaRow + mx * 16, lumaStride, divisors, codes, dcY);
      // libjpeg's dummy block past the right edge: AC zero, DC that of the block before it.
      const right = lumaRow + mx * 16 + 8;
      if (2 * mx + 1 < lumaBlocks) dcY = encodeBlock(right, lumaStride, divisors, codes, dcY);
      else encodeFlat(codes);
      const chroma = chromaRow + mx * 8;
      dcCb = encodeBlock(cb + chroma, chromaStride, divisors + 768, codes + 2048, dcCb);
      dcCr = encodeBlock(cr + chroma, chromaStride, divisors + 768, codes + 2048, dcCr);
      if (out > outEnd) return E_OUT_FULL;
    }
  }
  finishBits();
  return out - rd32(params + E_OUT);
}

/**
 * RGBA to Y, Cb, Cr (jccolor.c's integer formulas), chroma averaged in horizontal pairs with
 * libjpeg's alternating 0, 1 bias (jcsample.c h2v1), the image's last column and row repeated
 * out to whole MCUs as libjpeg's edge expansion does.
 */
function toYcc422(
  rgba: i32,
  width: i32,
  height: i32,
  rows: i32,
  y: i32,
  cb: i32,
  cr: i32,
  lumaStride: i32,
): void {
  const chromaStride = lumaStride >> 1;
  const lastX = width - 1;
  const groups = width & ~7; // columns converted 8 at a time, all inside the image
  for (let row = 0; row < rows; row++) {
    const source = rgba + min(row, height - 1) * width * 4;
    const yRow = y + row * lumaStride;
    const cbRow = cb + row * chromaStride;
    const crRow = cr + row * chromaStride;
    for (let x = 0; x < groups; x += 8) {
      eightPixels(source + (x << 2), yRow + x, cbRow + (x >> 1), crRow + (x >> 1));
    }
    for (let x = groups; x < lumaStride; x += 2) {
      const first = load<u32>(<usize>(source + (min(x, lastX) << 2)));
      const second = load<u32>(<usize>(source + (min(x + 1, lastX) << 2)));
      const r0 = first & 255;
      const g0 = (first >> 8) & 255;
      const b0 = (first >> 16) & 255;
      const r1 = second & 255;
      const g1 = (second >> 8) & 255;
      const b1 = (second >> 16) & 255;
      wr8(yRow + x, (19595 * r0 + 38470 * g0 + 7471 * b0 + 32768) >> 16);
      wr8(yRow + x + 1, (19595 * r1 + 38470 * g1 + 7471 * b1 + 32768) >> 16);
      const cb0 = (-11059 * r0 - 21709 * g0 + 32768 * b0 + 8421375) >> 16;
      const cb1 = (-11059 * r1 - 21709 * g1 + 32768 * b1 + 8421375) >> 16;
      const cr0 = (32768 * r0 - 27439 * g0 - 5329 * b0 + 8421375) >> 16;
      const cr1 = (32768 * r1 - 27439 * g1 - 5329 * b1 + 8421375) >> 16;
      const bias = (x >> 1) & 1;
      wr8(cbRow + (x >> 1), (cb0 + cb1 + bias) >> 1);
      wr8(crRow + (x >> 1), (cr0 + cr1 + bias) >> 1);
    }
  }
}

/** `r * kr + g * kg + b * kb + offset`, shifted down 16: one of jccolor.c's sums, 4 lanes. */
// @ts-ignore: decorator
@inline function weighted(r: v128, g: v128, b: v128, kr: i32, kg: i32, kb: i32, offset: i32): v128 {
  const sum = i32x4.add(
    i32x4.add(i32x4.mul(r, i32x4.splat(kr)), i32x4.mul(g, i32x4.splat(kg))),
    i32x4.add(i32x4.mul(b, i32x4.splat(kb)), i32x4.splat(offset)),
  );
  return i32x4.shr_s(sum, 16);
}

/**
 * Eight pixels of toYcc422 at once (SIMD): their Y, and the Cb and Cr of their four pairs, with
 * the same sums, shifts and 0, 1 bias as the scalar loop (x is a multiple of 8, so the bias
 * starts at 0).
 */
function eightPixels(source: i32, yOut: i32, cbOut: i32, crOut: i32): void {
  const a = v128.load(<usize>source);
  const b = v128.load(<usize>source, 16);
  const byte = i32x4.splat(255);
  const rA = v128.and(a, byte);
  const gA = v128.and(i32x4.shr_u(a, 8), byte);
  const bA = v128.and(i32x4.shr_u(a, 16), byte);
  const rB = v128.and(b, byte);
  const gB = v128.and(i32x4.shr_u(b, 8), byte);
  const bB = v128.and(i32x4.shr_u(b, 16), byte);
  const yA = weighted(rA, gA, bA, 19595, 38470, 7471, 32768);
  const yB = weighted(rB, gB, bB, 19595, 38470, 7471, 32768);
  const yBytes = i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(yA, yB), i16x8.splat(0));
  v128.store64_lane(<usize>yOut, yBytes, 0);
  const bias = i32x4(0, 1, 0, 1);
  const cbA = weighted(rA, gA, bA, -11059, -21709, 32768, 8421375);
  const cbB = weighted(rB, gB, bB, -11059, -21709, 32768, 8421375);
  const crA = weighted(rA, gA, bA, 32768, -27439, -5329, 8421375);
  const crB = weighted(rB, gB, bB, 32768, -27439, -5329, 8421375);
  const cbPairs = i32x4.shr_s(
    i32x4.add(i32x4.add(pairFirsts(cbA, cbB), pairSeconds(cbA, cbB)), bias),
    1,
  );
  const crPairs = i32x4.shr_s(
    i32x4.add(i32x4.add(pairFirsts(crA, crB), pairSeconds(crA, crB)), bias),
    1,
  );
  const chroma = i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(cbPairs, crPairs), i16x8.splat(0));
  v128.store32_lane(<usize>cbOut, chroma, 0);
  v128.store32_lane(<usize>crOut, chroma, 1);
}

/** Lanes 0, 2 of `a` then of `b`: the first pixel of each pair. */
// @ts-ignore: decorator
@inline function pairFirsts(a: v128, b: v128): v128 {
  return v128.shuffle<i32>(a, b, 0, 2, 4, 6);
}

/** Lanes 1, 3 of `a` then of `b`: the second pixel of each pair. */
// @ts-ignore: decorator
@inline function pairSeconds(a: v128, b: v128): v128 {
  return v128.shuffle<i32>(a, b, 1, 3, 5, 7);
}

/** Transforms, quantizes and codes the 8x8 block at `samples`; returns its DC for the next. */
function encodeBlock(samples: i32, stride: i32, divisors: i32, codes: i32, lastDc: i32): i32 {
  if (accurate) accurateDct(samples, stride);
  else fastDct(samples, stride);
  const nonZero = quantize(divisors);
  const dc = rd32(ZIGZAG_BLOCK);
  codeBlock(dc - lastDc, codes, nonZero & ~(<u64>1));
  return dc;
}

/** Codes a block with no AC and the DC of the one before it (a difference of 0, then EOB). */
function encodeFlat(codes: i32): void {
  codeBlock(0, codes, 0);
}

/**
 * Huffman-codes a DC difference and the AC coefficients of ZIGZAG_BLOCK that `nonZero` marks
 * (jchuff.c encode_one_block): runs of zeros are the gaps between marked positions, so only
 * the non-zero coefficients are visited. The bit buffer lives in locals here; whole 32-bit
 * words go out as bytes (flushWord).
 */
function codeBlock(diff: i32, codes: i32, nonZero: u64): void {
  let buffer = bitBuffer;
  let count = bitCount;
  let size = bitSize(diff);
  let entry = rd32(codes + (size << 2));
  buffer = append(append(buffer, entry & 0xffff, entry >>> 16), magnitudeBits(diff, size), size);
  count += (entry >>> 16) + size;
  if (count >= 32) count = flushWord(buffer, count);
  const ac = codes + 1024;
  let last = 0;
  let rest = nonZero;
  while (rest != 0) {
    const k = <i32>ctz(rest);
    rest &= rest - 1;
    let run = k - last - 1;
    last = k;
    while (run > 15) {
      entry = rd32(ac + (0xf0 << 2)); // ZRL: sixteen zeros
      buffer = append(buffer, entry & 0xffff, entry >>> 16);
      count += entry >>> 16;
      if (count >= 32) count = flushWord(buffer, count);
      run -= 16;
    }
    const value = rd32(ZIGZAG_BLOCK + (k << 2));
    size = bitSize(value);
    entry = rd32(ac + (((run << 4) | size) << 2));
    buffer = append(append(buffer, entry & 0xffff, entry >>> 16), magnitudeBits(value, size), size);
    count += (entry >>> 16) + size;
    if (count >= 32) count = flushWord(buffer, count);
  }
  if (last != 63) {
    entry = rd32(ac); // EOB
    buffer = append(buffer, entry & 0xffff, entry >>> 16);
    count += entry >>> 16;
    if (count >= 32) count = flushWord(buffer, count);
  }
  bitBuffer = buffer;
  bitCount = count;
}

/** Bits needed for the magnitude of `value` (T.81's SSSS). */
// @ts-ignore: decorator
@inline function bitSize(value: i32): i32 {
  const magnitude = value < 0 ? -value : value;
  return magnitude == 0 ? 0 : 32 - clz(magnitude);
}

/** The `size` bits coding `value`: itself if positive, else its one's complement. */
// @ts-ignore: decorator
@inline function magnitudeBits(value: i32, size: i32): i32 {
  return (value < 0 ? value - 1 : value) & ((1 << size) - 1);
}

// @ts-ignore: decorator
@inline function append(buffer: u64, bits: i32, size: i32): u64 {
  return (buffer << <u64>size) | <u64>bits;
}

/**
 * Writes the oldest 32 of the `count` bits in `buffer` as four bytes, each 0xFF followed by a
 * stuffed 0x00; returns the bits left.
 */
function flushWord(buffer: u64, count: i32): i32 {
  for (let shift = count - 8; shift >= count - 32; shift -= 8) {
    const byte = <i32>(buffer >> <u64>shift) & 0xff;
    wr8(out++, byte);
    if (byte == 0xff) wr8(out++, 0);
  }
  return count - 32;
}

/** Pads the last byte with ones (libjpeg's flush_bits) and writes what is left. */
function finishBits(): void {
  let count = bitCount + 7;
  const buffer = append(bitBuffer, 0x7f, 7);
  while (count >= 8) {
    count -= 8;
    const byte = <i32>(buffer >> <u64>count) & 0xff;
    wr8(out++, byte);
    if (byte == 0xff) wr8(out++, 0);
  }
  bitCount = 0;
}

/**
 * libjpeg's quantization (jcdctmgr.c, 32-bit DCTELEM) of BLOCK into ZIGZAG_BLOCK: each
 * coefficient times a reciprocal of its divisor, with a correction, shifted down; the sign kept
 * apart. `divisors` holds reciprocal, correction and shift for each of the 64 (see encoder.ts).
 * Returns a bit per zigzag position, set where the coefficient is not zero.
 */
function quantize(divisors: i32): u64 {
  let nonZero: u64 = 0;
  for (let k = 0; k < 64; k++) {
    const i = rd8(NATURAL + k);
    const value = rd32(BLOCK + (i << 2));
    const d = divisors + i * 12;
    const magnitude = <u64>((value < 0 ? -value : value) + rd32(d + 4));
    const reciprocal = <u64>rd32(d) & 0xffffffff; // unsigned 32-bit
    const quotient = <i32>((magnitude * reciprocal) >> <u64>rd32(d + 8));
    wr32(ZIGZAG_BLOCK + (k << 2), value < 0 ? -quotient : quotient);
    nonZero |= <u64>(quotient != 0) << <u64>k;
  }
  return nonZero;
}

/** `value` times an 8-bit fixed-point constant, truncated (jfdctfst.c's MULTIPLY). */
// @ts-ignore: decorator
@inline function times(value: i32, constant: i32): i32 {
  return (value * constant) >> 8;
}

/**
 * One pass of libjpeg's fast integer forward DCT (`jpeg_fdct_ifast`, the AAN algorithm) over 8
 * values `step` bytes apart from `at`, in place. Its outputs are scaled by the AAN factors, which
 * the quantization divisors undo (see encoder.ts).
 */
// @ts-ignore: decorator
@inline function fdctPass(at: i32, step: i32): void {
  const d0 = rd32(at);
  const d1 = rd32(at + step);
  const d2 = rd32(at + 2 * step);
  const d3 = rd32(at + 3 * step);
  const d4 = rd32(at + 4 * step);
  const d5 = rd32(at + 5 * step);
  const d6 = rd32(at + 6 * step);
  const d7 = rd32(at + 7 * step);
  const tmp0 = d0 + d7;
  const tmp7 = d0 - d7;
  const tmp1 = d1 + d6;
  const tmp6 = d1 - d6;
  const tmp2 = d2 + d5;
  const tmp5 = d2 - d5;
  const tmp3 = d3 + d4;
  const tmp4 = d3 - d4;

  // Even part.
  const tmp10 = tmp0 + tmp3;
  const tmp13 = tmp0 - tmp3;
  const tmp11 = tmp1 + tmp2;
  const tmp12 = tmp1 - tmp2;
  wr32(at, tmp10 + tmp11);
  wr32(at + 4 * step, tmp10 - tmp11);
  const z1 = times(tmp12 + tmp13, 181); // 0.707106781
  wr32(at + 2 * step, tmp13 + z1);
  wr32(at + 6 * step, tmp13 - z1);

  // Odd part.
  const odd10 = tmp4 + tmp5;
  const odd11 = tmp5 + tmp6;
  const odd12 = tmp6 + tmp7;
  const z5 = times(odd10 - odd12, 98); // 0.382683433
  const z2 = times(odd10, 139) + z5; // 0.541196100
  const z4 = times(odd12, 334) + z5; // 1.306562965
  const z3 = times(odd11, 181); // 0.707106781
  const z11 = tmp7 + z3;
  const z13 = tmp7 - z3;
  wr32(at + 5 * step, z13 + z2);
  wr32(at + 3 * step, z13 - z2);
  wr32(at + step, z11 + z4);
  wr32(at + 7 * step, z11 - z4);
}

/** The 8x8 samples at `samples`, `stride` apart, into BLOCK as i32 less 128 (convsamp). */
function centredSamples(samples: i32, stride: i32): void {
  const centre = i32x4.splat(128);
  for (let r = 0; r < 8; r++) {
    const row = v128.load_ext<u8>(<usize>(samples + r * stride)); // 8 samples as u16
    const o = <usize>(BLOCK + (r << 5));
    v128.store(o, i32x4.sub(i32x4.extend_low_i16x8_u(row), centre));
    v128.store(o, i32x4.sub(i32x4.extend_high_i16x8_u(row), centre), 16);
  }
}

/**
 * The fast integer forward DCT of 8x8 samples (libjpeg `jpeg_fdct_ifast`) into BLOCK, which
 * TurboJPEG uses below quality 96.
 */
function fastDct(samples: i32, stride: i32): void {
  centredSamples(samples, stride);
  for (let r = 0; r < 8; r++) fdctPass(BLOCK + (r << 5), 4);
  for (let c = 0; c < 8; c++) fdctPass(BLOCK + (c << 2), 32);
}

/** `x` shifted right by `n`, rounded (libjpeg's DESCALE). */
// @ts-ignore: decorator
@inline function descale(x: i32, n: i32): i32 {
  return (x + (1 << (n - 1))) >> n;
}

/**
 * The accurate integer forward DCT of 8x8 samples (libjpeg `jpeg_fdct_islow`) into BLOCK, which
 * TurboJPEG uses from quality 96 up.
 */
function accurateDct(samples: i32, stride: i32): void {
  centredSamples(samples, stride);
  for (let r = 0; r < 8; r++) islowPass(BLOCK + (r << 5), 4, true);
  for (let c = 0; c < 8; c++) islowPass(BLOCK + (c << 2), 32, false);
}

/**
 * One pass of `jpeg_fdct_islow` over 8 values `step` bytes apart from `at`, in place. The row
 * pass (`rows`) scales its outputs up by 2^PASS1_BITS; the column pass removes that scaling.
 */
// @ts-ignore: decorator
@inline function islowPass(at: i32, step: i32, rows: bool): void {
  const d0 = rd32(at);
  const d1 = rd32(at + step);
  const d2 = rd32(at + 2 * step);
  const d3 = rd32(at + 3 * step);
  const d4 = rd32(at + 4 * step);
  const d5 = rd32(at + 5 * step);
  const d6 = rd32(at + 6 * step);
  const d7 = rd32(at + 7 * step);
  const shift = rows ? CONST_BITS - PASS1_BITS : CONST_BITS + PASS1_BITS;
  const tmp0 = d0 + d7;
  let tmp7 = d0 - d7;
  const tmp1 = d1 + d6;
  let tmp6 = d1 - d6;
  const tmp2 = d2 + d5;
  let tmp5 = d2 - d5;
  const tmp3 = d3 + d4;
  let tmp4 = d3 - d4;

  const tmp10 = tmp0 + tmp3;
  const tmp13 = tmp0 - tmp3;
  const tmp11 = tmp1 + tmp2;
  const tmp12 = tmp1 - tmp2;
  const sum = tmp10 + tmp11;
  const difference = tmp10 - tmp11;
  wr32(at, rows ? sum << PASS1_BITS : descale(sum, PASS1_BITS));
  wr32(at + 4 * step, rows ? difference << PASS1_BITS : descale(difference, PASS1_BITS));
  let z1 = (tmp12 + tmp13) * FIX_0_541196100;
  wr32(at + 2 * step, descale(z1 + tmp13 * FIX_0_765366865, shift));
  wr32(at + 6 * step, descale(z1 - tmp12 * FIX_1_847759065, shift));

  z1 = tmp4 + tmp7;
  let z2 = tmp5 + tmp6;
  let z3 = tmp4 + tmp6;
  let z4 = tmp5 + tmp7;
  const z5 = (z3 + z4) * FIX_1_175875602;
  tmp4 *= FIX_0_298631336;
  tmp5 *= FIX_2_053119869;
  tmp6 *= FIX_3_072711026;
  tmp7 *= FIX_1_501321110;
  z1 *= -FIX_0_899976223;
  z2 *= -FIX_2_562915447;
  z3 = z3 * -FIX_1_961570560 + z5;
  z4 = z4 * -FIX_0_390180644 + z5;
  wr32(at + 7 * step, descale(tmp4 + z1 + z3, shift));
  wr32(at + 5 * step, descale(tmp5 + z2 + z4, shift));
  wr32(at + 3 * step, descale(tmp6 + z2 + z3, shift));
  wr32(at + step, descale(tmp7 + z1 + z4, shift));
}
