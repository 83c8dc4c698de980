/**
 * AssemblyScript source of the JPEG scan decoder (part of the module index.ts is the entry of;
 * lib/jpeg/scan.ts drives it): Huffman decoding of one sequential scan
 * (ITU-T T.81 F.2.2) and the inverse DCT of each block at its reduced size, straight into the
 * component planes. The same steps, constants and integer rounding as libjpeg-turbo's
 * jidctint.c and jidctred.c, so the samples equal theirs.
 *
 * Why WebAssembly: the same code in TypeScript was about 60 % of a 12 MP photo's decode, and on
 * a cold start it ran in V8's interpreter for the whole first image; compiled ahead here it runs
 * at full speed from the first block. Every value is a 32-bit integer (wrapping like libjpeg),
 * except the 2x2 IDCT's column sums, which take 64 bits.
 *
 * Memory: the caller lays out a parameter block, the tables, the planes and a window onto the
 * entropy-coded data from `heapBase()` (index.ts) up, and passes the parameter block's address (layout
 * below). Nothing here allocates.
 */

import {
  CONST_BITS,
  PASS1_BITS,
  FIX_0_211164243,
  FIX_0_298631336,
  FIX_0_366025404,
  FIX_0_390180644,
  FIX_0_509795579,
  FIX_0_541196100,
  FIX_0_601344887,
  FIX_0_707106781,
  FIX_0_720959822,
  FIX_0_765366865,
  FIX_0_850430095,
  FIX_0_899976223,
  FIX_1_061594337,
  FIX_1_175875602,
  FIX_1_224744871,
  FIX_1_272758580,
  FIX_1_451774981,
  FIX_1_501321110,
  FIX_1_847759065,
  FIX_1_961570560,
  FIX_2_053119869,
  FIX_2_172734803,
  FIX_2_562915447,
  FIX_3_072711026,
  FIX_3_624509785,
  rd16,
  rd32,
  rd8,
  wr32,
  wr8,
} from './common';

// Parameter block, 32-bit words. The first thirteen are the decoder's state between calls: the
// caller streams the data through a window, and the decoder returns NEED_DATA (state saved) when
// an MCU would start too near the window's end; the caller moves the window to P_POS and calls
// again. Likewise the planes: the decoder returns BAND_DONE at P_BAND_END, and the caller copies
// the band of MCU rows out. So its memory holds a window and a band, not the file and planes.
const P_DATA_END = 0; // address one past the window's last byte
const P_POS = 4; // address of the next byte to read
const P_REFILL_AT = 8; // NEED_DATA before an MCU from here on; NO_REFILL when the window holds the rest
const P_MCU = 12; // the next MCU to decode, row-major
const P_BUF = 16; // bit buffer, bits in it, and zero bits made up past a marker or the data's end
const P_CNT = 20;
const P_PAD = 24;
const P_RESTART_LEFT = 28; // MCUs left before the next restart marker, and that marker's number
const P_RESTART_NUMBER = 32;
const P_PRED = 36; // 4 words: the DC prediction of each scan component
const P_MCUS_X = 52;
const P_MCUS_Y = 56;
const P_BLOCKS_PER_MCU = 60;
const P_RESTART_INTERVAL = 64;
const P_BLOCK_SCAN = 68; // 10 words: per block of an MCU, its scan component
const P_BLOCK_OFFSET = 108; // 10 words: per block of an MCU, its offset inside the MCU
const P_BAND_END = 148; // return BAND_DONE (state saved) before this MCU: the planes hold a band
const P_COMPONENTS = 152; // per scan component, COMPONENT_BYTES:
const C_DC = 0; // DC Huffman table
const C_AC = 4; // AC Huffman table
const C_QUANT = 8; // 64 x i32, natural order
const C_SLOT_AT = 12; // 80 x u8: zigzag position -> coefficient slot
const C_WEIGHTS = 16; // 80 x i64 (2x2 IDCT only): zigzag position -> weight of its column sum
const C_PLANE = 20;
const C_STRIDE = 24;
const C_BLOCK_SIZE = 28;
const C_STEP_X = 32; // plane offset of one MCU to the right
const C_STEP_Y = 36; // plane offset of one MCU row down
const C_SUMS = 40; // 17 x i64 (2x2 IDCT only): the column sums
const COMPONENT_BYTES = 48;

// Huffman table (lib/jpeg/huffman.ts's HuffmanTable, one after another).
const H_FAST = 0; // 1024 x u16
const H_FAST_AC = 2048; // 1024 x i32
const H_MAX_CODE = 6144; // 18 x i32
const H_SYMBOL_OFFSET = 6216; // 17 x i32
const H_SYMBOLS = 6284; // 256 x u8

// Results other than the end of the scan's data.
const E_INVALID_CODE = -1;
const E_DC_RANGE = -2;
const E_AC_RANGE = -3;
const E_RUN_PAST_END = -4;
const E_ENDS_EARLY = -5;
const E_NO_RESTART = -6;
const E_RESTART_ORDER = -7;
/** Not a failure: the window must move on (to P_POS) before the decoder can go on. */
const NEED_DATA = -100;
/**
 * Not a failure: the MCU rows of the band the planes hold are decoded; the caller copies them
 * out, points C_PLANE at the next band and calls again.
 */
const BAND_DONE = -101;
/** P_REFILL_AT when the window holds the rest of the data. */
const NO_REFILL = 0x7fffffff;


/** libjpeg's range limit: index = value & 1023 (centred on 0), clamped to 0..255 plus 128. */
const LIMIT = <i32>memory.data(1024);
/** The IDCTs' workspace between passes, 8x8 i32. */
const WS = <i32>memory.data(256, 16);
/** One block's coefficients in natural order, i32, and slot 64 for those its IDCT does not read. */
const COEF = <i32>memory.data(272, 16);

for (let i = 0; i < 1024; i++) {
  const value = i < 512 ? i : i - 1024;
  store<u8>(<usize>(LIMIT + i), <u8>min(255, max(0, value + 128)));
}

/** The sample for an IDCT output already shifted down: libjpeg's range limit. */
// @ts-ignore: decorator
@inline function limit(value: i32): i32 {
  return rd8(LIMIT + (value & 1023));
}

/**
 * Decodes the scan described by the parameter block at `params` into its components' planes,
 * from the MCU and bit reader state the block holds. Returns the address of the marker after
 * the scan's data, NEED_DATA (state saved) or a negative E_* code.
 */
export function decodeScan(params: i32): i32 {
  // Long on purpose: the bit reader lives in locals across every block of the scan, and its
  // byte-by-byte refill is written out where it is needed (a function cannot update them). One
  // inlined byte reader returning byte, padding and step packed in an i32 instead measured about
  // 4 % slower on the 12 MP photo's 3/8 decode (CPU medians 97 against 101 ms, 6 runs each,
  // interleaved), as the TypeScript version's shared reader had (3-5 %).
  const end = rd32(params + P_DATA_END);
  const refillAt = rd32(params + P_REFILL_AT);
  const mcusX = rd32(params + P_MCUS_X);
  const total = mcusX * rd32(params + P_MCUS_Y);
  const blocksPerMcu = rd32(params + P_BLOCKS_PER_MCU);
  const restartInterval = rd32(params + P_RESTART_INTERVAL);
  let pos = rd32(params + P_POS);
  let mcu = rd32(params + P_MCU);
  let buf = rd32(params + P_BUF);
  let cnt = rd32(params + P_CNT);
  let padBits = rd32(params + P_PAD);
  let restartLeft = rd32(params + P_RESTART_LEFT);
  let restartNumber = rd32(params + P_RESTART_NUMBER);
  let mx = mcu % mcusX;
  let my = mcu / mcusX;
  const bandEnd = rd32(params + P_BAND_END);
  clearCoefficients();
  for (; mcu < total; mcu++) {
    if (mcu >= bandEnd) {
      save(params, pos, mcu, buf, cnt, padBits, restartLeft, restartNumber);
      return BAND_DONE;
    }
    if (restartInterval != 0 && restartLeft == 0) {
      if (padBits > cnt) return E_ENDS_EARLY;
      const at = findMarker(pos, end);
      if (at >= end) {
        if (refillAt == NO_REFILL) return E_NO_RESTART;
        // No marker in the window: skip what was searched (its last byte may start one).
        pos = max(pos, end - 1);
        save(params, pos, mcu, buf, cnt, padBits, restartLeft, restartNumber);
        return NEED_DATA;
      }
      if (rd8(at + 1) != 0xd0 + restartNumber) return E_RESTART_ORDER;
      buf = 0;
      cnt = 0;
      pos = at + 2;
      padBits = 0;
      restartNumber = (restartNumber + 1) & 7;
      v128.store(<usize>(params + P_PRED), i32x4.splat(0));
      restartLeft = restartInterval;
    }
    if (pos >= refillAt) {
      save(params, pos, mcu, buf, cnt, padBits, restartLeft, restartNumber);
      return NEED_DATA;
    }
    restartLeft--;
    for (let b = 0; b < blocksPerMcu; b++) {
      const j = rd32(params + P_BLOCK_SCAN + b * 4);
      const component = params + P_COMPONENTS + j * COMPONENT_BYTES;
      const dcTable = rd32(component + C_DC);
      const acTable = rd32(component + C_AC);
      const slotAt = rd32(component + C_SLOT_AT);
      const blockSize = rd32(component + C_BLOCK_SIZE);
      const sums = blockSize == 2 ? rd32(component + C_SUMS) : 0;
      const weights = rd32(component + C_WEIGHTS);
      let stored = 0;

      // Refill to at least 17 bits before each symbol: two plain bytes at once when we can,
      // else byte by byte: a marker or the end of data yields zero bits, counted in padBits;
      // 0xFF 0x00 is a stuffed 0xFF.
      if (cnt <= 16) {
        if (pos + 1 < end && rd8(pos) != 0xff && rd8(pos + 1) != 0xff) {
          buf = (buf << 16) | (rd8(pos) << 8) | rd8(pos + 1);
          pos += 2;
          cnt += 16;
        } else {
          while (cnt <= 24) {
            let byte = 0;
            if (pos < end) {
              byte = rd8(pos);
              if (byte != 0xff) pos++;
              else if (pos + 1 < end && rd8(pos + 1) == 0) pos += 2;
              else {
                byte = 0;
                padBits += 8;
              }
            } else padBits += 8;
            buf = (buf << 8) | byte;
            cnt += 8;
          }
        }
      }
      let entry = rd16(dcTable + H_FAST + (((buf >>> (cnt - 10)) & 1023) << 1));
      if (entry == 0) {
        entry = longCode(dcTable, (buf >>> (cnt - 16)) & 0xffff);
        if (entry < 0) return E_INVALID_CODE;
      }
      cnt -= entry >> 8;
      let size = entry & 255;
      let diff = 0;
      if (size != 0) {
        if (size > 11) return E_DC_RANGE;
        while (cnt < size) {
          let byte = 0;
          if (pos < end) {
            byte = rd8(pos);
            if (byte != 0xff) pos++;
            else if (pos + 1 < end && rd8(pos + 1) == 0) pos += 2;
            else {
              byte = 0;
              padBits += 8;
            }
          } else padBits += 8;
          buf = (buf << 8) | byte;
          cnt += 8;
        }
        diff = (buf >>> (cnt - size)) & ((1 << size) - 1);
        cnt -= size;
        if (diff < 1 << (size - 1)) diff += 1 - (1 << size);
      }

      let k = 1;
      while (k < 64) {
        if (pos + 1 < end && rd8(pos) != 0xff && rd8(pos + 1) != 0xff) {
          // Branch-free refill: take two bytes exactly when 16 bits or fewer are left.
          const n = (cnt - 17) >>> 31;
          const shift = n << 4;
          buf = (buf << shift) | (((rd8(pos) << 8) | rd8(pos + 1)) & -n);
          pos += n << 1;
          cnt += shift;
        } else if (cnt <= 16) {
          while (cnt <= 24) {
            let byte = 0;
            if (pos < end) {
              byte = rd8(pos);
              if (byte != 0xff) pos++;
              else if (pos + 1 < end && rd8(pos + 1) == 0) pos += 2;
              else {
                byte = 0;
                padBits += 8;
              }
            } else padBits += 8;
            buf = (buf << 8) | byte;
            cnt += 8;
          }
        }
        const lookahead = (buf >>> (cnt - 10)) & 1023;
        let value = rd32(acTable + H_FAST_AC + (lookahead << 2));
        if (value != 0) {
          // Code and magnitude resolved together: (value << 8) | (run << 4) | bits consumed.
          cnt -= value & 15;
          k += (value >> 4) & 15;
          value >>= 8;
        } else {
          entry = rd16(acTable + H_FAST + (lookahead << 1));
          if (entry == 0) {
            entry = longCode(acTable, (buf >>> (cnt - 16)) & 0xffff);
            if (entry < 0) return E_INVALID_CODE;
          }
          cnt -= entry >> 8;
          const run = (entry >> 4) & 15;
          size = entry & 15;
          if (size == 0) {
            if (run != 15) break; // EOB
            k += 16; // ZRL: sixteen zeros
            continue;
          }
          k += run;
          if (size > 10) return E_AC_RANGE;
          while (cnt < size) {
            let byte = 0;
            if (pos < end) {
              byte = rd8(pos);
              if (byte != 0xff) pos++;
              else if (pos + 1 < end && rd8(pos + 1) == 0) pos += 2;
              else {
                byte = 0;
                padBits += 8;
              }
            } else padBits += 8;
            buf = (buf << 8) | byte;
            cnt += 8;
          }
          value = (buf >>> (cnt - size)) & ((1 << size) - 1);
          cnt -= size;
          if (value < 1 << (size - 1)) value += 1 - (1 << size);
        }
        const z = rd8(slotAt + k);
        if (sums != 0) {
          // The 2x2 IDCT's first pass, done while reading: weighted column sums.
          const at = <usize>(sums + (z << 3));
          store<i64>(at, load<i64>(at) + <i64>value * load<i64>(<usize>(weights + (k << 3))));
        } else {
          wr32(COEF + (z << 2), value);
          stored |= 64 - z; // non-zero unless z is the drop slot 64
        }
        k++;
      }
      // A run past position 63 landed in the slot table's overflow entries: now an error.
      if (k > 64) return E_RUN_PAST_END;

      const predAt = params + P_PRED + (j << 2);
      const dc = rd32(predAt) + diff;
      wr32(predAt, dc);
      const plane =
        rd32(component + C_PLANE) +
        my * rd32(component + C_STEP_Y) +
        mx * rd32(component + C_STEP_X) +
        rd32(params + P_BLOCK_OFFSET + b * 4);
      const stride = rd32(component + C_STRIDE);
      const quant = rd32(component + C_QUANT);
      if (blockSize == 2) {
        store<i64>(<usize>sums, <i64>dc * load<i64>(<usize>weights));
        idct2x2(sums, plane, stride);
        continue;
      }
      if (stored == 0) {
        fillBlock(plane, stride, blockSize, dc * rd32(quant));
        continue;
      }
      wr32(COEF, dc);
      if (blockSize == 8) idct8x8(quant, plane, stride);
      else if (blockSize == 4) idct4x4(quant, plane, stride);
      else if (blockSize == 3) idct3x3(quant, plane, stride);
      else idct6x6(quant, plane, stride);
      clearCoefficients();
    }
    if (++mx == mcusX) {
      mx = 0;
      my++;
      if (padBits > cnt) return E_ENDS_EARLY;
    }
  }
  const at = findMarker(pos, end);
  if (at < end || refillAt == NO_REFILL) return at;
  save(params, max(pos, end - 1), total, buf, cnt, padBits, restartLeft, restartNumber);
  return NEED_DATA;
}

/** Keeps the decoder's state in the parameter block, for the call after the window moves. */
// @ts-ignore: decorator
@inline function save(
  params: i32,
  pos: i32,
  mcu: i32,
  buf: i32,
  cnt: i32,
  padBits: i32,
  restartLeft: i32,
  restartNumber: i32,
): void {
  wr32(params + P_POS, pos);
  wr32(params + P_MCU, mcu);
  wr32(params + P_BUF, buf);
  wr32(params + P_CNT, cnt);
  wr32(params + P_PAD, padBits);
  wr32(params + P_RESTART_LEFT, restartLeft);
  wr32(params + P_RESTART_NUMBER, restartNumber);
}

/** Zeroes the 64 coefficients of COEF for the next block. */
function clearCoefficients(): void {
  const zero = i32x4.splat(0);
  for (let i = 0; i < 256; i += 64) {
    v128.store(<usize>(COEF + i), zero);
    v128.store(<usize>(COEF + i), zero, 16);
    v128.store(<usize>(COEF + i), zero, 32);
    v128.store(<usize>(COEF + i), zero, 48);
  }
}

/**
 * A code longer than the fast lookahead, from 16 bits of lookahead: (length << 8) | symbol,
 * or -1 when no code matches (a corrupt stream).
 */
function longCode(table: i32, lookahead16: i32): i32 {
  let length = 11;
  let code = lookahead16 >> (16 - length);
  while (length <= 16 && code > rd32(table + H_MAX_CODE + (length << 2))) {
    length++;
    code = lookahead16 >> (16 - length);
  }
  if (length > 16) return -1;
  const index = rd32(table + H_SYMBOL_OFFSET + (length << 2)) + code;
  if (index < 0 || index > 255) return -1;
  return (length << 8) | rd8(table + H_SYMBOLS + index);
}

/** Address of the next marker (0xFF not followed by 0x00 or 0xFF) at or after `pos`, or `end`. */
function findMarker(pos: i32, end: i32): i32 {
  while (pos < end) {
    if (rd8(pos) == 0xff) {
      if (pos + 1 >= end) return end;
      const next = rd8(pos + 1);
      if (next != 0 && next != 0xff) return pos;
      pos += next == 0 ? 2 : 1;
    } else pos++;
  }
  return end;
}

/** A block with only a DC coefficient is flat at every IDCT size: fill it directly. */
function fillBlock(plane: i32, stride: i32, size: i32, dc: i32): void {
  const value = limit((dc + 4) >> 3);
  for (let r = 0; r < size; r++) {
    const o = plane + r * stride;
    for (let x = 0; x < size; x++) wr8(o + x, value);
  }
}

/** Dequantized coefficient at natural position `at`. */
// @ts-ignore: decorator
@inline function dq(quant: i32, at: i32): i32 {
  return rd32(COEF + (at << 2)) * rd32(quant + (at << 2));
}

/** Workspace value at position `at`. */
// @ts-ignore: decorator
@inline function ws(at: i32): i32 {
  return rd32(WS + (at << 2));
}

// @ts-ignore: decorator
@inline function setWs(at: i32, value: i32): void {
  wr32(WS + (at << 2), value);
}

/** COEF at row `r`, column `c`. */
// @ts-ignore: decorator
@inline function co(r: i32, c: i32): i32 {
  return rd32(COEF + ((r * 8 + c) << 2));
}

/** Fills column `c` of the workspace's first `rows` rows with `value`. */
// @ts-ignore: decorator
@inline function fillColumn(c: i32, rows: i32, value: i32): void {
  for (let r = 0; r < rows; r++) setWs(r * 8 + c, value);
}

/** Fills `count` output samples from `o` with `value`. */
// @ts-ignore: decorator
@inline function fillRow(o: i32, count: i32, value: i32): void {
  for (let x = 0; x < count; x++) wr8(o + x, value);
}

/**
 * The accurate 8x8 integer IDCT (libjpeg `jpeg_idct_islow`), four lanes at a time: the first
 * pass runs down the columns on rows of COEF (four columns a vector), the second down the
 * columns of the transposed workspace (four rows a vector), and the samples are transposed back
 * to rows. Without libjpeg's shortcut for all-zero AC terms: it gives the same values, and a
 * vector has no branch to skip.
 */
function idct8x8(quant: i32, out: i32, stride: i32): void {
  for (let half = 0; half < 32; half += 16) idctColumns(quant, half);
  transpose8x8(WS, WT);
  for (let half = 0; half < 32; half += 16) idctRows(half);
  transpose8x8(WT, WS);
  const centre = i32x4.splat(128);
  const wrap = i32x4.splat(512);
  const tenBits = i32x4.splat(1023);
  for (let r = 0; r < 8; r++) {
    // libjpeg's range limit: wrapped to 10 bits around 0, then 0..255 after adding 128.
    const row = WS + (r << 5);
    const low = limited(v128.load(<usize>row), wrap, tenBits, centre);
    const high = limited(v128.load(<usize>row, 16), wrap, tenBits, centre);
    const bytes = i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(low, high), i16x8.splat(0));
    v128.store64_lane(<usize>(out + r * stride), bytes, 0);
  }
}

/** `((v + 512) & 1023) - 512 + 128`: IDCT_LIMIT's index and centre, before clamping to a byte. */
// @ts-ignore: decorator
@inline function limited(v: v128, wrap: v128, tenBits: v128, centre: v128): v128 {
  return i32x4.add(i32x4.sub(v128.and(i32x4.add(v, wrap), tenBits), wrap), centre);
}

/** The second IDCT pass's workspace: the first pass's output transposed, then the samples. */
const WT = <i32>memory.data(256, 16);

/** `x * constant`, four lanes. */
// @ts-ignore: decorator
@inline function times(x: v128, constant: i32): v128 {
  return i32x4.mul(x, i32x4.splat(constant));
}

/**
 * The IDCT's first pass on four columns (from `half` bytes into a row) of COEF dequantized by
 * `quant`, into WS: libjpeg's even and odd parts, scaled by 2^PASS1_BITS.
 */
function idctColumns(quant: i32, half: i32): void {
  const at = <usize>(COEF + half);
  const q = <usize>(quant + half);
  const d0 = i32x4.mul(v128.load(at), v128.load(q));
  const d1 = i32x4.mul(v128.load(at, 32), v128.load(q, 32));
  const d2 = i32x4.mul(v128.load(at, 64), v128.load(q, 64));
  const d3 = i32x4.mul(v128.load(at, 96), v128.load(q, 96));
  const d4 = i32x4.mul(v128.load(at, 128), v128.load(q, 128));
  const d5 = i32x4.mul(v128.load(at, 160), v128.load(q, 160));
  const d6 = i32x4.mul(v128.load(at, 192), v128.load(q, 192));
  const d7 = i32x4.mul(v128.load(at, 224), v128.load(q, 224));
  idctPass(d0, d1, d2, d3, d4, d5, d6, d7, <usize>(WS + half), 1 << (CONST_BITS - PASS1_BITS - 1), CONST_BITS - PASS1_BITS);
}

/** The IDCT's second pass on four rows (from `half` bytes into WT's rows), into WT. */
function idctRows(half: i32): void {
  const at = <usize>(WT + half);
  const shift = CONST_BITS + PASS1_BITS + 3;
  idctPass(
    v128.load(at),
    v128.load(at, 32),
    v128.load(at, 64),
    v128.load(at, 96),
    v128.load(at, 128),
    v128.load(at, 160),
    v128.load(at, 192),
    v128.load(at, 224),
    at,
    1 << (shift - 1),
    shift,
  );
}

/** One 8-point pass of jidctint.c over four lanes, its eight outputs stored 32 bytes apart. */
// @ts-ignore: decorator
@inline function idctPass(
  d0: v128,
  d1: v128,
  d2: v128,
  d3: v128,
  d4: v128,
  d5: v128,
  d6: v128,
  d7: v128,
  to: usize,
  round: i32,
  shift: i32,
): void {
  let z1 = times(i32x4.add(d2, d6), FIX_0_541196100);
  const tmp2 = i32x4.sub(z1, times(d6, FIX_1_847759065));
  const tmp3 = i32x4.add(z1, times(d2, FIX_0_765366865));
  const tmp0 = i32x4.shl(i32x4.add(d0, d4), CONST_BITS);
  const tmp1 = i32x4.shl(i32x4.sub(d0, d4), CONST_BITS);
  const rounding = i32x4.splat(round);
  const tmp10 = i32x4.add(i32x4.add(tmp0, tmp3), rounding);
  const tmp13 = i32x4.add(i32x4.sub(tmp0, tmp3), rounding);
  const tmp11 = i32x4.add(i32x4.add(tmp1, tmp2), rounding);
  const tmp12 = i32x4.add(i32x4.sub(tmp1, tmp2), rounding);

  z1 = i32x4.add(d7, d1);
  let z2 = i32x4.add(d5, d3);
  let z3 = i32x4.add(d7, d3);
  let z4 = i32x4.add(d5, d1);
  const z5 = times(i32x4.add(z3, z4), FIX_1_175875602);
  z1 = times(z1, -FIX_0_899976223);
  z2 = times(z2, -FIX_2_562915447);
  z3 = i32x4.add(times(z3, -FIX_1_961570560), z5);
  z4 = i32x4.add(times(z4, -FIX_0_390180644), z5);
  const odd0 = i32x4.add(times(d7, FIX_0_298631336), i32x4.add(z1, z3));
  const odd1 = i32x4.add(times(d5, FIX_2_053119869), i32x4.add(z2, z4));
  const odd2 = i32x4.add(times(d3, FIX_3_072711026), i32x4.add(z2, z3));
  const odd3 = i32x4.add(times(d1, FIX_1_501321110), i32x4.add(z1, z4));

  v128.store(to, i32x4.shr_s(i32x4.add(tmp10, odd3), shift));
  v128.store(to, i32x4.shr_s(i32x4.sub(tmp10, odd3), shift), 224);
  v128.store(to, i32x4.shr_s(i32x4.add(tmp11, odd2), shift), 32);
  v128.store(to, i32x4.shr_s(i32x4.sub(tmp11, odd2), shift), 192);
  v128.store(to, i32x4.shr_s(i32x4.add(tmp12, odd1), shift), 64);
  v128.store(to, i32x4.shr_s(i32x4.sub(tmp12, odd1), shift), 160);
  v128.store(to, i32x4.shr_s(i32x4.add(tmp13, odd0), shift), 96);
  v128.store(to, i32x4.shr_s(i32x4.sub(tmp13, odd0), shift), 128);
}

/** Transposes the 8x8 i32 block at `from` into `to` (4x4 tiles of shuffles). */
function transpose8x8(from: i32, to: i32): void {
  for (let g = 0; g < 2; g++) {
    for (let h = 0; h < 2; h++) {
      const src = <usize>(from + g * 128 + h * 16); // rows 4g.., columns 4h..
      const a = v128.load(src);
      const b = v128.load(src, 32);
      const c = v128.load(src, 64);
      const d = v128.load(src, 96);
      const ab0 = v128.shuffle<i32>(a, b, 0, 4, 1, 5);
      const ab1 = v128.shuffle<i32>(a, b, 2, 6, 3, 7);
      const cd0 = v128.shuffle<i32>(c, d, 0, 4, 1, 5);
      const cd1 = v128.shuffle<i32>(c, d, 2, 6, 3, 7);
      const dst = <usize>(to + h * 128 + g * 16); // rows 4h.., columns 4g..
      v128.store(dst, v128.shuffle<i32>(ab0, cd0, 0, 1, 4, 5));
      v128.store(dst, v128.shuffle<i32>(ab0, cd0, 2, 3, 6, 7), 32);
      v128.store(dst, v128.shuffle<i32>(ab1, cd1, 0, 1, 4, 5), 64);
      v128.store(dst, v128.shuffle<i32>(ab1, cd1, 2, 3, 6, 7), 96);
    }
  }
}

/** The 4x4 reduced IDCT (libjpeg `jpeg_idct_4x4`): half size; row and column 4 unused. */
function idct4x4(quant: i32, out: i32, stride: i32): void {
  for (let c = 0; c < 8; c++) {
    if (c == 4) continue;
    if ((co(1, c) | co(2, c) | co(3, c) | co(5, c) | co(6, c) | co(7, c)) == 0) {
      const dc = dq(quant, c) << PASS1_BITS;
      fillColumn(c, 4, dc);
      continue;
    }
    const tmp0 = dq(quant, c) << (CONST_BITS + 1);
    let z2 = dq(quant, 16 + c);
    let z3 = dq(quant, 48 + c);
    let tmp2 = z2 * FIX_1_847759065 - z3 * FIX_0_765366865;
    const tmp10 = tmp0 + tmp2;
    const tmp12 = tmp0 - tmp2;
    const z1 = dq(quant, 56 + c);
    z2 = dq(quant, 40 + c);
    z3 = dq(quant, 24 + c);
    const z4 = dq(quant, 8 + c);
    const odd0 =
      -z1 * FIX_0_211164243 + z2 * FIX_1_451774981 - z3 * FIX_2_172734803 + z4 * FIX_1_061594337;
    tmp2 =
      -z1 * FIX_0_509795579 - z2 * FIX_0_601344887 + z3 * FIX_0_899976223 + z4 * FIX_2_562915447;
    const shift = CONST_BITS - PASS1_BITS + 1;
    const round = 1 << (shift - 1);
    setWs(c, (tmp10 + tmp2 + round) >> shift);
    setWs(24 + c, (tmp10 - tmp2 + round) >> shift);
    setWs(8 + c, (tmp12 + odd0 + round) >> shift);
    setWs(16 + c, (tmp12 - odd0 + round) >> shift);
  }
  const shift = CONST_BITS + PASS1_BITS + 3 + 1;
  const round = 1 << (shift - 1);
  for (let row = 0, o = out; row < 32; row += 8, o += stride) {
    if ((ws(row + 1) | ws(row + 2) | ws(row + 3) | ws(row + 5) | ws(row + 6) | ws(row + 7)) == 0) {
      const v = limit((ws(row) + 16) >> 5);
      fillRow(o, 4, v);
      continue;
    }
    const tmp0 = ws(row) << (CONST_BITS + 1);
    let tmp2 = ws(row + 2) * FIX_1_847759065 - ws(row + 6) * FIX_0_765366865;
    const tmp10 = tmp0 + tmp2;
    const tmp12 = tmp0 - tmp2;
    const z1 = ws(row + 7);
    const z2 = ws(row + 5);
    const z3 = ws(row + 3);
    const z4 = ws(row + 1);
    const odd0 =
      -z1 * FIX_0_211164243 + z2 * FIX_1_451774981 - z3 * FIX_2_172734803 + z4 * FIX_1_061594337;
    tmp2 =
      -z1 * FIX_0_509795579 - z2 * FIX_0_601344887 + z3 * FIX_0_899976223 + z4 * FIX_2_562915447;
    wr8(o, limit((tmp10 + tmp2 + round) >> shift));
    wr8(o + 3, limit((tmp10 - tmp2 + round) >> shift));
    wr8(o + 1, limit((tmp12 + odd0 + round) >> shift));
    wr8(o + 2, limit((tmp12 - odd0 + round) >> shift));
  }
}

/**
 * The 6x6 IDCT (libjpeg `jpeg_idct_6x6`): a 6-point IDCT of rows and columns 0..5, for 4:2:0
 * chroma at 3/8 scale. Rows and columns 6, 7 unused.
 */
function idct6x6(quant: i32, out: i32, stride: i32): void {
  const shift1 = CONST_BITS - PASS1_BITS;
  for (let c = 0; c < 6; c++) {
    if ((co(1, c) | co(2, c) | co(3, c) | co(4, c) | co(5, c)) == 0) {
      const dc = dq(quant, c) << PASS1_BITS;
      fillColumn(c, 6, dc);
      continue;
    }
    let tmp0 = (dq(quant, c) << CONST_BITS) + (1 << (shift1 - 1));
    let tmp10 = dq(quant, 32 + c) * FIX_0_707106781;
    let tmp1 = tmp0 + tmp10;
    const tmp11 = (tmp0 - tmp10 - tmp10) >> shift1;
    tmp0 = dq(quant, 16 + c) * FIX_1_224744871;
    tmp10 = tmp1 + tmp0;
    const tmp12 = tmp1 - tmp0;

    const z1 = dq(quant, 8 + c);
    const z2 = dq(quant, 24 + c);
    const z3 = dq(quant, 40 + c);
    tmp1 = (z1 + z3) * FIX_0_366025404;
    tmp0 = tmp1 + ((z1 + z2) << CONST_BITS);
    const tmp2 = tmp1 + ((z3 - z2) << CONST_BITS);
    tmp1 = (z1 - z2 - z3) << PASS1_BITS;

    setWs(c, (tmp10 + tmp0) >> shift1);
    setWs(40 + c, (tmp10 - tmp0) >> shift1);
    setWs(8 + c, tmp11 + tmp1);
    setWs(32 + c, tmp11 - tmp1);
    setWs(16 + c, (tmp12 + tmp2) >> shift1);
    setWs(24 + c, (tmp12 - tmp2) >> shift1);
  }
  const shift = CONST_BITS + PASS1_BITS + 3;
  for (let row = 0, o = out; row < 48; row += 8, o += stride) {
    if ((ws(row + 1) | ws(row + 2) | ws(row + 3) | ws(row + 4) | ws(row + 5)) == 0) {
      const v = limit((ws(row) + 16) >> 5);
      fillRow(o, 6, v);
      continue;
    }
    let tmp0 = (ws(row) + (1 << (PASS1_BITS + 2))) << CONST_BITS;
    let tmp10 = ws(row + 4) * FIX_0_707106781;
    let tmp1 = tmp0 + tmp10;
    const tmp11 = tmp0 - tmp10 - tmp10;
    tmp0 = ws(row + 2) * FIX_1_224744871;
    tmp10 = tmp1 + tmp0;
    const tmp12 = tmp1 - tmp0;

    const z1 = ws(row + 1);
    const z2 = ws(row + 3);
    const z3 = ws(row + 5);
    tmp1 = (z1 + z3) * FIX_0_366025404;
    tmp0 = tmp1 + ((z1 + z2) << CONST_BITS);
    const tmp2 = tmp1 + ((z3 - z2) << CONST_BITS);
    tmp1 = (z1 - z2 - z3) << CONST_BITS;

    wr8(o, limit((tmp10 + tmp0) >> shift));
    wr8(o + 5, limit((tmp10 - tmp0) >> shift));
    wr8(o + 1, limit((tmp11 + tmp1) >> shift));
    wr8(o + 4, limit((tmp11 - tmp1) >> shift));
    wr8(o + 2, limit((tmp12 + tmp2) >> shift));
    wr8(o + 3, limit((tmp12 - tmp2) >> shift));
  }
}

/** The 3x3 IDCT (libjpeg `jpeg_idct_3x3`): 3/8 size, a 3-point IDCT of rows and columns 0..2. */
function idct3x3(quant: i32, out: i32, stride: i32): void {
  const shift1 = CONST_BITS - PASS1_BITS;
  for (let c = 0; c < 3; c++) {
    const tmp0 = (dq(quant, c) << CONST_BITS) + (1 << (shift1 - 1));
    const tmp12 = dq(quant, 16 + c) * FIX_0_707106781;
    const tmp10 = tmp0 + tmp12;
    const odd = dq(quant, 8 + c) * FIX_1_224744871;
    setWs(c, (tmp10 + odd) >> shift1);
    setWs(16 + c, (tmp10 - odd) >> shift1);
    setWs(8 + c, (tmp0 - tmp12 - tmp12) >> shift1);
  }
  const shift = CONST_BITS + PASS1_BITS + 3;
  for (let row = 0, o = out; row < 24; row += 8, o += stride) {
    const tmp0 = (ws(row) + (1 << (PASS1_BITS + 2))) << CONST_BITS;
    const tmp12 = ws(row + 2) * FIX_0_707106781;
    const tmp10 = tmp0 + tmp12;
    const odd = ws(row + 1) * FIX_1_224744871;
    wr8(o, limit((tmp10 + odd) >> shift));
    wr8(o + 2, limit((tmp10 - odd) >> shift));
    wr8(o + 1, limit((tmp0 - tmp12 - tmp12) >> shift));
  }
}

/**
 * The 2x2 reduced IDCT (libjpeg `jpeg_idct_2x2`), its first pass already summed while decoding:
 * `sums[c]` holds row 0 of column c dequantized and scaled by 2^15, `sums[8 + c]` the weighted
 * sum of its odd rows, for c in 0, 1, 3, 5, 7. Clears the sums it reads.
 */
function idct2x2(sums: i32, out: i32, stride: i32): void {
  const shift1 = CONST_BITS - PASS1_BITS + 2;
  const round1 = <i64>(1 << (shift1 - 1));
  const shift = CONST_BITS + PASS1_BITS + 3 + 2;
  const round = 1 << (shift - 1);
  const s = <usize>sums;
  const d0 = load<i64>(s) + round1;
  const d1 = load<i64>(s, 8) + round1;
  const d3 = load<i64>(s, 24) + round1;
  const d5 = load<i64>(s, 40) + round1;
  const d7 = load<i64>(s, 56) + round1;
  const o0 = load<i64>(s, 64);
  const o1 = load<i64>(s, 72);
  const o3 = load<i64>(s, 88);
  const o5 = load<i64>(s, 104);
  const o7 = load<i64>(s, 120);
  const zero = i64x2.splat(0);
  v128.store(s, zero);
  v128.store(s, zero, 16);
  v128.store(s, zero, 32);
  v128.store(s, zero, 48);
  v128.store(s, zero, 64);
  v128.store(s, zero, 80);
  v128.store(s, zero, 96);
  v128.store(s, zero, 112);
  const w0 = <i32>(d0 + o0) >> shift1;
  const w1 = <i32>(d1 + o1) >> shift1;
  const w3 = <i32>(d3 + o3) >> shift1;
  const w5 = <i32>(d5 + o5) >> shift1;
  const w7 = <i32>(d7 + o7) >> shift1;
  twoByTwoRow(out, w0, w1, w3, w5, w7, round, shift);
  const v0 = <i32>(d0 - o0) >> shift1;
  const v1 = <i32>(d1 - o1) >> shift1;
  const v3 = <i32>(d3 - o3) >> shift1;
  const v5 = <i32>(d5 - o5) >> shift1;
  const v7 = <i32>(d7 - o7) >> shift1;
  twoByTwoRow(out + stride, v0, v1, v3, v5, v7, round, shift);
}

/** One output row of the 2x2 IDCT from its first pass's five values. */
// @ts-ignore: decorator
@inline function twoByTwoRow(
  o: i32,
  w0: i32,
  w1: i32,
  w3: i32,
  w5: i32,
  w7: i32,
  round: i32,
  shift: i32,
): void {
  const tmp10 = w0 << 15;
  const tmp0 =
    -w7 * FIX_0_720959822 + w5 * FIX_0_850430095 - w3 * FIX_1_272758580 + w1 * FIX_3_624509785;
  wr8(o, limit((tmp10 + tmp0 + round) >> shift));
  wr8(o + 1, limit((tmp10 - tmp0 + round) >> shift));
}
