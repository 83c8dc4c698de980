/**
 * A baseline JPEG decoder (ITU-T T.81: sequential DCT, Huffman, 8-bit; SOF0 and SOF1) that
 * decodes straight to 8/8, 4/8, 3/8, 2/8 or 1/8 of the stored size by running a reduced
 * inverse DCT per block, like libjpeg's `scale_num`/`scale_denom`. At 1/8 it still reads every
 * AC code, but stores and transforms only the DC; at 3/8 it runs a 3-point IDCT on the lowest
 * 3x3 coefficients (and, for 4:2:0 chroma, a 6-point one on the lowest 6x6). Chroma
 * upsampling and colour conversion run at the reduced size, so a 12 MP photo never becomes a
 * 12 MP bitmap. For greyscale, 4:4:4 and 4:2:0 the pixels equal libjpeg-turbo's (`djpeg
 * -scale n/8`) exactly; for non-square chroma (4:2:2, 4:4:0, 4:1:1) at reduced scales, chroma
 * is decoded at the larger of its two sizes and box-averaged in the other direction, rather
 * than replicated from a coarser IDCT as libjpeg does, which is closer to the full-size picture.
 * `decodeScaledJpegPlanes` instead returns the component planes before upsampling and colour
 * conversion, chroma on its own smaller grid, for a resize that converts colour at the end.
 *
 * Anything it does not cover (progressive, arithmetic, lossless, hierarchical, 12-bit,
 * CMYK/YCCK) or finds malformed comes back as a typed fallback, never as an exception, so
 * the caller can run the general codec. A stream whose entropy-coded data ends early also
 * falls back (rather than padding with grey like libjpeg), so the general codec's verdict
 * on truncated files stays the one users see.
 */
import { JpegFallback, type JpegFallbackReason } from './fallback.js';
import { buildHuffmanTable, type HuffmanTable } from './huffman.js';
import { convertToRgba, type PlaneComponent } from './color.js';
import { decodeScanData, type ScanComponentJob } from './scan.js';
import { ZIGZAG } from './zigzag.js';

export { JpegFallback, type JpegFallbackReason } from './fallback.js';

/**
 * Decode scale in eighths (libjpeg's `scale_num` over a `scale_denom` of 8): the output is
 * ceil(size * scale / 8) pixels each way, so 8 is full size, 4 half, 3 three eighths.
 */
export type JpegScale = 1 | 2 | 3 | 4 | 8;

/** What every scaled decode says about the frame it decoded. */
interface ScaledFrame {
  /** Output size at this scale. */
  width: number;
  height: number;
  /** Dimensions declared in the frame header, before scaling. */
  sourceWidth: number;
  sourceHeight: number;
  scale: JpegScale;
  /** Colour space of the stored samples. */
  colorSpace: 'ycbcr' | 'rgb' | 'gray';
}

/** A decoded image: RGBA, 4 bytes per pixel, row-major, no padding. */
export interface ScaledJpeg extends ScaledFrame {
  data: Uint8ClampedArray;
}

/** Either the decoded result or why the general codec should decode this file instead. */
type Fallible<T> =
  { ok: true; image: T } | { ok: false; reason: JpegFallbackReason; detail: string };

/** Either the decoded image or why the general codec should decode this file instead. */
export type JpegDecodeResult = Fallible<ScaledJpeg>;

/**
 * One decoded component at its own reduced size, before any upsampling or colour conversion.
 * Sample `i` covers output pixels `[i / xScale, (i + 1) / xScale)` (centred siting, as JFIF says).
 */
export interface JpegPlane {
  /** Samples, row-major, `stride` per row; only the first `width` x `height` belong to the image. */
  samples: Uint8Array;
  stride: number;
  width: number;
  height: number;
  /**
   * Samples per output pixel, horizontally and vertically: 1 for luma; for 4:2:0 chroma 1/2 at
   * its own scale, 2/3 when decoded with a 4x4 IDCT at 3/8, 1 with a 6x6 one.
   */
  xScale: number;
  yScale: number;
}

/**
 * A scaled decode as component planes: what `decodeScaledJpeg` would colour-convert to RGBA
 * (`width` x `height` is that image's size).
 */
export interface ScaledJpegPlanes extends ScaledFrame {
  /** One plane (grey) or three (Y, Cb, Cr or R, G, B). */
  planes: JpegPlane[];
}

/** Either the decoded planes or why the general codec should decode this file instead. */
export type JpegPlanesResult = Fallible<ScaledJpegPlanes>;

/** Options of `decodeScaledJpeg`. */
export interface JpegDecodeOptions {
  /** Scale in eighths (default 8: full size). */
  scale?: JpegScale;
  /** Refuse (fall back) when the frame declares more pixels than this (default 100 MP). */
  maxPixels?: number;
}

/** Options of `decodeScaledJpegPlanes`. */
export interface JpegPlanesOptions extends JpegDecodeOptions {
  /**
   * Samples each plane must have at least, each way (default none): a subsampled component is
   * decoded with a larger IDCT (at most its full size) until its plane covers this. DCT scaling
   * aliases, so a plane much smaller than the resize target costs quality.
   */
  minPlaneSize?: { width: number; height: number };
}

/**
 * For each IDCT size, where to store the coefficient at each zigzag position: its natural
 * position when that IDCT reads it, else 64 (a scratch slot: decoded and dropped). 1x1 reads
 * the DC alone; 2x2 rows and columns 0,1,3,5,7; 3x3 rows and columns 0..2; 4x4 all but row and
 * column 4; 6x6 rows and columns 0..5; 8x8 everything.
 */
const STORE_AT: Record<number, Uint8Array> = (() => {
  const make = (used: (u: number) => boolean): Uint8Array => {
    // 80 entries: a corrupt run can overshoot position 63 by up to 16 before it is caught.
    const table = new Uint8Array(80).fill(64);
    for (let k = 0; k < 64; k++) {
      const z = ZIGZAG[k]!;
      table[k] = used(z >> 3) && used(z & 7) ? z : 64;
    }
    return table;
  };
  return {
    1: make((u) => u === 0),
    2: make((u) => u === 0 || (u & 1) === 1),
    3: make((u) => u < 3),
    4: make((u) => u !== 4),
    6: make((u) => u < 6),
    8: make(() => true),
  };
})();

/**
 * For the 2x2 IDCT, where each zigzag position adds into its column sums (see idct2x2 in wasm/scan.ts): row 0
 * of column c into slot c, odd rows into slot 8 + c, anything the IDCT does not read into 16.
 */
const SUM_SLOT_2X2: Uint8Array = (() => {
  const table = new Uint8Array(80).fill(16);
  const used = (u: number): boolean => u === 0 || (u & 1) === 1;
  for (let k = 0; k < 64; k++) {
    const z = ZIGZAG[k]!;
    if (used(z >> 3) && used(z & 7)) table[k] = z >> 3 === 0 ? z & 7 : 8 + (z & 7);
  }
  return table;
})();

/** Per odd row r of a column, its weight in the 2x2 IDCT's first pass (libjpeg's constants). */
const ODD_ROW_2X2 = [0, 29692, 0, -10426, 0, 6967, 0, -5906];

/** The 2x2 IDCT's weight for each zigzag position: dequantization times its row's factor. */
function weights2x2(quant: Int32Array): BigInt64Array {
  const weights = new BigInt64Array(80);
  for (let k = 0; k < 64; k++) {
    const z = ZIGZAG[k]!;
    if (SUM_SLOT_2X2[k] === 16) continue;
    weights[k] = BigInt(quant[z]! * (z >> 3 === 0 ? 32768 : ODD_ROW_2X2[z >> 3]!));
  }
  return weights;
}

interface FrameComponent {
  id: number;
  h: number;
  v: number;
  quantId: number;
  /** IDCT output size of one block: 1, 2, 3, 4, 6 or 8. */
  blockSize: number;
  plane: Uint8Array;
  stride: number;
  /** Blocks per line and lines of blocks as coded in a non-interleaved scan. */
  codedBlocksX: number;
  codedBlocksY: number;
  /** Sample columns and rows of this component at the output scale. */
  scaledWidth: number;
  scaledHeight: number;
  decoded: boolean;
}

interface Frame {
  width: number;
  height: number;
  hMax: number;
  vMax: number;
  mcusX: number;
  mcusY: number;
  components: FrameComponent[];
}

interface ParserState {
  data: Uint8Array;
  scale: JpegScale;
  maxPixels: number;
  frame: Frame | undefined;
  quant: (Int32Array | undefined)[];
  dcTables: (HuffmanTable | undefined)[];
  acTables: (HuffmanTable | undefined)[];
  restartInterval: number;
  jfif: boolean;
  adobeTransform: number;
  /**
   * Planes: decode each component on its own grid, at least this many samples each way (see
   * `JpegPlanesOptions`); undefined decodes every component onto the output grid, for RGBA.
   */
  planeMin: { width: number; height: number } | undefined;
  /** Four components (CMYK, YCCK) only, for `decodeScaledCmykPlanes`; else one or three. */
  cmyk: boolean;
}

/**
 * Decodes a baseline JPEG at `scale`/8 of its size to RGBA, or says why it cannot.
 * Never throws: anything unsupported or malformed is a fallback result.
 */
export function decodeScaledJpeg(
  data: Uint8Array,
  options: JpegDecodeOptions = {},
): JpegDecodeResult {
  return guarded(() => toRgba(decode(data, options, undefined)));
}

/**
 * Decodes a baseline JPEG at `scale`/8 into its component planes, before upsampling or colour
 * conversion, so a resize can run per plane and convert colour only at the output size.
 * Subsampled chroma stays on its own, smaller grid as far as `minPlaneSize` allows. Never
 * throws, like `decodeScaledJpeg`.
 */
export function decodeScaledJpegPlanes(
  data: Uint8Array,
  options: JpegPlanesOptions = {},
): JpegPlanesResult {
  return guarded(() =>
    toPlanes(decode(data, options, options.minPlaneSize ?? { width: 0, height: 0 })),
  );
}

/**
 * A CMYK or YCCK JPEG's four planes, as stored: `ycck` when Adobe's transform 2 coded C, M, Y as
 * YCbCr; `adobe` when an Adobe marker says the samples are inverted (Photoshop's convention).
 */
export interface ScaledCmykPlanes extends Omit<ScaledJpegPlanes, 'colorSpace'> {
  ycck: boolean;
  adobe: boolean;
}

/**
 * Decodes a baseline four-component JPEG at `scale`/8 into its planes, for conversion through
 * its CMYK profile (lib/cmyk.ts). Anything else, a three-component file included, is a
 * fallback result; never throws.
 */
export function decodeScaledCmykPlanes(
  data: Uint8Array,
  options: JpegPlanesOptions = {},
): Fallible<ScaledCmykPlanes> {
  return guarded(() => {
    const decoded = decode(data, options, options.minPlaneSize ?? { width: 0, height: 0 }, true);
    const { width, height, sourceWidth, sourceHeight, scale, planes } = toPlanes(decoded);
    const adobe = decoded.adobeTransform;
    return {
      width,
      height,
      sourceWidth,
      sourceHeight,
      scale,
      planes,
      ycck: adobe === 2,
      adobe: adobe >= 0,
    };
  });
}

/** Runs a decode, turning a fallback or any other exception into a fallback result. */
function guarded<T>(work: () => T): Fallible<T> {
  try {
    return { ok: true, image: work() };
  } catch (error) {
    if (error instanceof JpegFallback) {
      return { ok: false, reason: error.reason, detail: error.detail };
    }
    // A RangeError from an allocation, or a bug: let the general codec decide.
    return { ok: false, reason: 'internal', detail: String(error) };
  }
}

function fail(reason: JpegFallbackReason, detail: string): never {
  throw new JpegFallback(reason, detail);
}

/** A fully decoded frame: every component's plane filled, and what the samples mean. */
interface DecodedFrame {
  frame: Frame;
  scale: JpegScale;
  colorSpace: 'ycbcr' | 'rgb' | 'gray';
  /** Output size at this scale. */
  width: number;
  height: number;
  /** The Adobe marker's transform (-1 without one): for four components, YCCK when 2. */
  adobeTransform: number;
}

function decode(
  input: Uint8Array,
  options: JpegDecodeOptions,
  planeMin: { width: number; height: number } | undefined,
  cmyk = false,
): DecodedFrame {
  const scale = options.scale ?? 8;
  const maxPixels = options.maxPixels ?? 100_000_000;
  // A plain view: a Buffer (or other subclass) would give the hot loops a second map.
  const data = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (data.length < 4 || data[0] !== 0xff || data[1] !== 0xd8) fail('malformed', 'no SOI marker');
  const state: ParserState = {
    data,
    scale,
    maxPixels,
    frame: undefined,
    quant: [],
    dcTables: [],
    acTables: [],
    restartInterval: 0,
    jfif: false,
    adobeTransform: -1,
    planeMin,
    cmyk,
  };
  const end = data.length;
  let pos = 2;
  for (;;) {
    // Skip anything up to the next 0xFF (junk before a marker, as libjpeg tolerates), then fill bytes.
    while (pos < end && data[pos] !== 0xff) pos++;
    while (pos < end && data[pos] === 0xff) pos++;
    if (pos >= end) break;
    const marker = data[pos++]!;
    if (marker === 0xd9) break; // EOI
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0xd8) continue;
    if (pos + 2 > end) fail('truncated', 'marker segment length missing');
    const length = (data[pos]! << 8) | data[pos + 1]!;
    if (length < 2 || pos + length > end)
      fail('truncated', `segment 0x${marker.toString(16)} overruns the file`);
    pos = readSegment(state, marker, pos + 2, pos + length);
  }
  const frame = state.frame;
  if (!frame) fail('malformed', 'no frame header');
  for (const component of frame.components) {
    if (!component.decoded) fail('truncated', `component ${component.id} has no scan`);
  }
  const colorSpace = frame.components.length === 1 ? 'gray' : rgbOrYcc(state, frame);
  const width = Math.ceil((frame.width * scale) / 8);
  const height = Math.ceil((frame.height * scale) / 8);
  return { frame, scale, colorSpace, width, height, adobeTransform: state.adobeTransform };
}

/**
 * Reads one marker segment (payload `body` to `bodyEnd`) into the parser state, or declines the
 * stream; returns where the walk goes on (after a scan: the marker that follows its data).
 */
function readSegment(state: ParserState, marker: number, body: number, bodyEnd: number): number {
  const data = state.data;
  switch (marker) {
    case 0xc0:
    case 0xc1:
      readFrame(state, body, bodyEnd);
      return bodyEnd;
    case 0xc2:
    case 0xc6:
      return fail(marker === 0xc2 ? 'progressive' : 'hierarchical', 'progressive frame');
    case 0xc3:
    case 0xc7:
    case 0xcb:
    case 0xcf:
      return fail('lossless', 'lossless frame');
    case 0xc5:
      return fail('hierarchical', 'differential frame');
    case 0xc9:
    case 0xca:
    case 0xcc:
    case 0xcd:
    case 0xce:
      return fail('arithmetic', 'arithmetic-coded frame');
    case 0xc4:
      readHuffmanTables(state, body, bodyEnd);
      return bodyEnd;
    case 0xdb:
      readQuantTables(state, body, bodyEnd);
      return bodyEnd;
    case 0xdd:
      if (bodyEnd - body !== 2) fail('malformed', 'DRI length');
      state.restartInterval = (data[body]! << 8) | data[body + 1]!;
      return bodyEnd;
    case 0xda:
      return decodeScan(state, body, bodyEnd);
    case 0xdc:
      return fail('dimensions', 'DNL marker');
    case 0xde:
    case 0xdf:
      return fail('hierarchical', 'DHP/EXP marker');
    case 0xe0:
      // libjpeg counts APP0 as JFIF only with its full 14 data bytes.
      if (bodyEnd - body >= 14 && matchAscii(data, body, 'JFIF\0')) state.jfif = true;
      return bodyEnd;
    case 0xee:
      if (bodyEnd - body >= 12 && matchAscii(data, body, 'Adobe'))
        state.adobeTransform = data[body + 11]!;
      return bodyEnd;
    default:
      return bodyEnd; // APPn, COM and reserved segments carry nothing we need.
  }
}

/** Upsamples and colour-converts a frame decoded on the output grid (blocks sized to it). */
function toRgba(decoded: DecodedFrame): ScaledJpeg {
  const { frame, scale, colorSpace, width, height } = decoded;
  const planes: PlaneComponent[] = frame.components.map((c) => ({
    plane: c.plane,
    stride: c.stride,
    hExpand: (frame.hMax * scale) / (c.h * c.blockSize),
    vExpand: (frame.vMax * scale) / (c.v * c.blockSize),
    width: c.scaledWidth,
    height: c.scaledHeight,
  }));
  const fancy = scale > 1;
  return { ...scaledFrame(decoded), data: convertToRgba(planes, width, height, colorSpace, fancy) };
}

/** The size, scale and colour space of a decoded frame. */
function scaledFrame({ frame, scale, colorSpace, width, height }: DecodedFrame): ScaledFrame {
  return { width, height, sourceWidth: frame.width, sourceHeight: frame.height, scale, colorSpace };
}

/** The planes of a frame decoded with every block at `scale`/8 of its component's size. */
function toPlanes(decoded: DecodedFrame): ScaledJpegPlanes {
  const { frame, scale } = decoded;
  return {
    ...scaledFrame(decoded),
    planes: frame.components.map((c) => ({
      samples: c.plane,
      stride: c.stride,
      width: c.scaledWidth,
      height: c.scaledHeight,
      xScale: (c.h * c.blockSize) / (frame.hMax * scale),
      yScale: (c.v * c.blockSize) / (frame.vMax * scale),
    })),
  };
}

/** libjpeg's rule for three components: JFIF means YCbCr; else Adobe's transform; else the IDs. */
function rgbOrYcc(state: ParserState, frame: Frame): 'rgb' | 'ycbcr' {
  if (state.jfif) return 'ycbcr';
  if (state.adobeTransform >= 0) return state.adobeTransform === 0 ? 'rgb' : 'ycbcr';
  const [a, b, c] = frame.components;
  return a?.id === 82 && b?.id === 71 && c?.id === 66 ? 'rgb' : 'ycbcr';
}

function matchAscii(data: Uint8Array, at: number, text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    if (data[at + i] !== text.charCodeAt(i)) return false;
  }
  return true;
}

function readFrame(state: ParserState, pos: number, end: number): void {
  const data = state.data;
  if (state.frame) fail('malformed', 'second frame header');
  if (end - pos < 6) fail('malformed', 'short frame header');
  const precision = data[pos]!;
  const height = (data[pos + 1]! << 8) | data[pos + 2]!;
  const width = (data[pos + 3]! << 8) | data[pos + 4]!;
  const count = data[pos + 5]!;
  if (precision !== 8) fail('precision', `${precision}-bit samples`);
  if (width === 0 || height === 0) fail('dimensions', 'zero width or height');
  if (width * height > state.maxPixels)
    fail('dimensions', `${width}x${height} over the pixel limit`);
  if (state.cmyk ? count !== 4 : count !== 1 && count !== 3)
    fail('color-space', `${count} components`);
  if (end - pos !== 6 + count * 3) fail('malformed', 'frame header length');
  const raw: { id: number; h: number; v: number; quantId: number }[] = [];
  for (let i = 0; i < count; i++) {
    const at = pos + 6 + i * 3;
    const id = data[at]!;
    const h = data[at + 1]! >> 4;
    const v = data[at + 1]! & 15;
    const quantId = data[at + 2]!;
    if (h < 1 || h > 4 || v < 1 || v > 4) fail('malformed', 'sampling factor out of range');
    if (quantId > 3) fail('malformed', 'quantization table id');
    if (raw.some((c) => c.id === id)) fail('malformed', 'duplicate component id');
    raw.push({ id, h, v, quantId });
  }
  const hMax = Math.max(...raw.map((c) => c.h));
  const vMax = Math.max(...raw.map((c) => c.v));
  const scale = state.scale;
  const mcusX = Math.ceil(width / (8 * hMax));
  const mcusY = Math.ceil(height / (8 * vMax));
  const components = raw.map((c): FrameComponent => {
    if (hMax % c.h !== 0 || vMax % c.v !== 0) fail('sampling', 'non-integral sampling ratio');
    // Planes cover chroma subsampled at most 2x each way (4:2:0, 4:2:2, 4:4:0); 4:1:1 and the
    // like go the RGBA way, whose non-square handling suits them better.
    if (state.planeMin && (hMax / c.h > 2 || vMax / c.v > 2)) {
      fail('sampling', `no planes for sampling factors ${c.h}x${c.v} of ${hMax}x${vMax}`);
    }
    // Output samples one block must cover each way. Like libjpeg-turbo, subsampled chroma is
    // scaled up inside the IDCT (up to 8x8) rather than upsampled; unlike it, a non-square ratio
    // (4:2:2, 4:4:0, 4:1:1) takes the larger size and box-averages the other direction, so a
    // chroma block at 1/8 is not a single value smeared over 16 pixels. Where the larger size
    // has no IDCT or no whole stretch (4:1:1 at 3/8 needs 12x3), the next smaller IDCT size that
    // reaches both by whole stretches or averages (6x6: 2x wider, 2 rows averaged) serves.
    const needX = (scale * hMax) / c.h;
    const needY = (scale * vMax) / c.v;
    const largest = Math.min(8, Math.max(needX, needY));
    // Planes keep each component at its own sampling: one block is always scale x scale.
    // Planes: each component at the smallest IDCT size from `scale` up whose plane still covers
    // `minPlaneSize`; luma (at `scale`) always does, subsampled chroma may need a larger IDCT.
    const planeMin = state.planeMin;
    const blockSize = planeMin
      ? (PLANE_SIZES.find(
          (size) =>
            size >= scale &&
            (width * c.h * size) / (hMax * 8) >= planeMin.width &&
            (height * c.v * size) / (vMax * 8) >= planeMin.height,
        ) ?? 8)
      : IDCT_SIZES.find((size) => size <= largest && whole(needX / size) && whole(needY / size));
    if (blockSize === undefined) {
      fail('sampling', `sampling factors ${c.h}x${c.v} of ${hMax}x${vMax}`);
    }
    const stride = mcusX * c.h * blockSize;
    const rows = mcusY * c.v * blockSize;
    return {
      ...c,
      blockSize,
      plane: new Uint8Array(stride * rows),
      stride,
      codedBlocksX: Math.ceil(Math.ceil((width * c.h) / hMax) / 8),
      codedBlocksY: Math.ceil(Math.ceil((height * c.v) / vMax) / 8),
      scaledWidth: Math.ceil((width * c.h * blockSize) / (hMax * 8)),
      scaledHeight: Math.ceil((height * c.v * blockSize) / (vMax * 8)),
      decoded: false,
    };
  });
  state.frame = { width, height, hMax, vMax, mcusX, mcusY, components };
}

/** Output sizes of the IDCTs in wasm/scan.ts, largest first. */
const IDCT_SIZES = [8, 6, 4, 3, 2, 1] as const;

/** The same, smallest first: the candidates for one plane's block size. */
const PLANE_SIZES = [1, 2, 3, 4, 6, 8] as const;

/** Whether a stretch ratio is a whole number of output pixels per sample, or of samples per pixel. */
function whole(ratio: number): boolean {
  return ratio >= 1 ? Number.isInteger(ratio) : Number.isInteger(1 / ratio);
}

function readQuantTables(state: ParserState, pos: number, end: number): void {
  const data = state.data;
  while (pos < end) {
    const pq = data[pos]! >> 4;
    const id = data[pos]! & 15;
    pos++;
    if (pq > 1 || id > 3) fail('malformed', 'quantization table precision or id');
    const size = pq === 0 ? 64 : 128;
    if (pos + size > end) fail('malformed', 'quantization table overruns its segment');
    const table = new Int32Array(64);
    for (let k = 0; k < 64; k++) {
      table[ZIGZAG[k]!] =
        pq === 0 ? data[pos + k]! : (data[pos + 2 * k]! << 8) | data[pos + 2 * k + 1]!;
    }
    state.quant[id] = table;
    pos += size;
  }
}

function readHuffmanTables(state: ParserState, pos: number, end: number): void {
  const data = state.data;
  while (pos < end) {
    if (pos + 17 > end) fail('malformed', 'Huffman table header overruns its segment');
    const tableClass = data[pos]! >> 4;
    const id = data[pos]! & 15;
    if (tableClass > 1 || id > 3) fail('malformed', 'Huffman table class or id');
    const counts = data.subarray(pos + 1, pos + 17);
    let total = 0;
    for (let i = 0; i < 16; i++) total += counts[i]!;
    pos += 17;
    if (total > 256 || pos + total > end) fail('malformed', 'Huffman table overruns its segment');
    const table = buildHuffmanTable(counts, Uint8Array.from(data.subarray(pos, pos + total)));
    if (tableClass === 0) state.dcTables[id] = table;
    else state.acTables[id] = table;
    pos += total;
  }
}

/** One component of a scan: the frame component it fills, and how its blocks are decoded. */
interface ScanComponent extends Omit<ScanComponentJob, 'stepX' | 'stepY'> {
  component: FrameComponent;
}

/**
 * Decodes one scan (header at `pos`..`headerEnd`) into the component planes and returns the
 * position of the marker that follows its entropy-coded data.
 */
function decodeScan(state: ParserState, pos: number, headerEnd: number): number {
  const frame = state.frame;
  if (!frame) fail('malformed', 'scan before frame header');
  const scan = readScanHeader(state, frame, pos, headerEnd);
  // An MCU is one block when a scan has one component (T.81 A.2.2), else h x v blocks each.
  const single = scan.length === 1;
  const first = scan[0]!.component;
  const next = decodeScanData({
    data: state.data,
    start: headerEnd,
    mcusX: single ? first.codedBlocksX : frame.mcusX,
    mcusY: single ? first.codedBlocksY : frame.mcusY,
    ...mcuLayout(scan, single),
    restartInterval: state.restartInterval,
    components: scan.map((s) => ({
      ...s,
      stepX: (single ? 1 : s.component.h) * s.component.blockSize,
      stepY: (single ? 1 : s.component.v) * s.component.blockSize * s.component.stride,
    })),
  });
  for (const s of scan) s.component.decoded = true;
  return next;
}

/** The components of a scan header (`pos` to `headerEnd`) with their tables; checks it is sequential. */
function readScanHeader(
  state: ParserState,
  frame: Frame,
  pos: number,
  headerEnd: number,
): ScanComponent[] {
  const data = state.data;
  const count = data[pos]!;
  if (count < 1 || count > 4 || headerEnd - pos !== 4 + count * 2)
    fail('malformed', 'scan header length');
  const scan: ScanComponent[] = [];
  for (let i = 0; i < count; i++) {
    const id = data[pos + 1 + i * 2]!;
    const tables = data[pos + 2 + i * 2]!;
    const component = frame.components.find((c) => c.id === id);
    if (!component) fail('malformed', `scan names unknown component ${id}`);
    if (component.decoded || scan.some((s) => s.component === component)) {
      fail('malformed', `component ${id} scanned twice`);
    }
    const dc = state.dcTables[tables >> 4];
    const ac = state.acTables[tables & 15];
    const quant = state.quant[component.quantId];
    if (!dc || !ac) fail('malformed', 'scan uses an undefined Huffman table');
    if (!quant) fail('malformed', 'component uses an undefined quantization table');
    const sums = component.blockSize === 2;
    scan.push({
      component,
      dc,
      ac,
      quant,
      slotAt: sums ? SUM_SLOT_2X2 : STORE_AT[component.blockSize]!,
      weights: sums ? weights2x2(quant) : undefined,
      plane: component.plane,
      stride: component.stride,
      blockSize: component.blockSize,
    });
  }
  const ss = data[headerEnd - 3]!;
  const se = data[headerEnd - 2]!;
  const approx = data[headerEnd - 1]!;
  if (ss !== 0 || se !== 63 || approx !== 0)
    fail('malformed', 'spectral selection in a sequential scan');
  return scan;
}

/** The blocks of one MCU: which scan component each belongs to and its offset inside the MCU. */
function mcuLayout(
  scan: ScanComponent[],
  single: boolean,
): { blocksPerMcu: number; blockScan: Int32Array; blockOffset: Int32Array } {
  const blockScan = new Int32Array(10);
  const blockOffset = new Int32Array(10);
  let blocksPerMcu = 0;
  scan.forEach(({ component: c }, j) => {
    const h = single ? 1 : c.h;
    const v = single ? 1 : c.v;
    for (let by = 0; by < v; by++) {
      for (let bx = 0; bx < h; bx++) {
        if (blocksPerMcu === 10) fail('malformed', 'more than 10 blocks per MCU');
        blockScan[blocksPerMcu] = j;
        blockOffset[blocksPerMcu++] = by * c.blockSize * c.stride + bx * c.blockSize;
      }
    }
  });
  return { blocksPerMcu, blockScan, blockOffset };
}
