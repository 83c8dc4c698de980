/**
 * Runs one sequential scan's entropy-coded data through the WebAssembly scan decoder
 * (lib/jpeg/wasm/scan.ts): Huffman decoding and the reduced inverse DCT of every block, into
 * the component planes. This side lays the scan out in the module's memory (the layout is
 * described there) and copies the planes back.
 *
 * Measured against the same decoder in TypeScript (CPU time of the decode, medians of 10 runs
 * interleaved in the same minute): the bench's 1 MP photo at 8/8 37.5 ms against 16.3; the
 * 12 MP one at 3/8 216 against 90; the 24 MP one at 2/8 394 against 179. The pixels are the
 * same, bit for bit.
 */
import { JpegFallback, type JpegFallbackReason } from './fallback.js';
import type { HuffmanTable } from './huffman.js';
import { jpegArena, jpegWasm } from './jpeg-module.js';

/** One component of a scan: its tables, where its blocks go, and how they are stored. */
export interface ScanComponentJob {
  dc: HuffmanTable;
  ac: HuffmanTable;
  /** Quantization table, natural order. */
  quant: Int32Array;
  /** 80 entries: zigzag position → coefficient slot (64, or 16 for 2x2, drops it). */
  slotAt: Uint8Array;
  /** 2x2 IDCT only: zigzag position → weight of its column sum (see decoder.ts `weights2x2`). */
  weights: BigInt64Array | undefined;
  plane: Uint8Array;
  stride: number;
  /** IDCT output size of one block: 1, 2, 3, 4, 6 or 8. */
  blockSize: number;
  /** Plane offsets of one MCU to the right and one MCU row down. */
  stepX: number;
  stepY: number;
}

/** A scan ready to decode: its data from `start`, its MCU layout and its components. */
export interface ScanJob {
  data: Uint8Array;
  /** Where the entropy-coded data starts (right after the scan header). */
  start: number;
  mcusX: number;
  mcusY: number;
  /** Per block of an MCU (at most 10): its index in `components`, and its offset inside the MCU. */
  blockScan: Int32Array;
  blockOffset: Int32Array;
  blocksPerMcu: number;
  restartInterval: number;
  components: ScanComponentJob[];
}

/** The decoder's negative results, in its order (E_INVALID_CODE = -1 first). */
const FAILURES: [JpegFallbackReason, string][] = [
  ['malformed', 'invalid Huffman code'],
  ['malformed', 'DC difference over 11 bits'],
  ['malformed', 'AC coefficient over 10 bits'],
  ['malformed', 'AC run past the end of the block'],
  ['truncated', 'entropy-coded data ends early'],
  ['truncated', 'data ends before a restart marker'],
  ['malformed', 'missing or out-of-order restart marker'],
];

// The layout in lib/jpeg/wasm/scan.ts.
const PARAM_BYTES = 152;
const STATE_WORDS = 13;
const NEED_DATA = -100;
const BAND_DONE = -101;
const P_BAND_END = 37;
const NO_REFILL = 0x7fffffff;
const COMPONENT_BYTES = 48;
const C_PLANE = 20;
const TABLE_BYTES = 6544;
const SUMS_BYTES = 17 * 8;

/**
 * Decodes the scan into its components' planes and returns the position of the marker after
 * its data. Throws JpegFallback for corrupt or truncated data.
 */
export function decodeScanData(job: ScanJob): number {
  const layout = placeScan(job);
  const wasm = jpegWasm.withMemory(layout.arena.size);
  layout.write(wasm.memory.buffer);
  let from = job.start;
  let result = NEED_DATA;
  for (let band = 0; result === NEED_DATA || result === BAND_DONE; band += layout.bandRows) {
    layout.startBand(wasm.memory.buffer, band);
    do {
      layout.moveWindow(wasm.memory.buffer, from);
      result = wasm.decodeScan(layout.params);
      from = layout.position(wasm.memory.buffer);
    } while (result === NEED_DATA);
    if (result >= 0 || result === BAND_DONE) layout.readBand(wasm.memory.buffer, band);
  }
  if (result < 0) {
    const [reason, detail] = FAILURES[-result - 1] ?? ['internal', `scan decoder result ${result}`];
    throw new JpegFallback(reason, detail);
  }
  return layout.position(wasm.memory.buffer, result);
}

/**
 * Bytes of plane the decoder's memory holds at a time, all components together (at least one
 * MCU row): a 12 MP photo's planes at 3/8 are 5-7 MB, copied out a band at a time.
 */
const BAND_BYTES = 1024 * 1024;

/**
 * Bytes of the data the decoder's memory holds at a time. Every call of the decoder moves on by
 * at least WINDOW - MARGIN bytes, so a 12 MP photo of 4 MB takes about 16 calls.
 */
const WINDOW = 256 * 1024;

/**
 * The decoder asks for the window to move before an MCU that starts closer than this to its
 * end: one MCU reads at most 10 blocks of 64 codes of 27 bits, 2.2 KB, twice that if every
 * byte is a stuffed 0xFF.
 */
const MARGIN = 8 * 1024;

/** Addresses for everything the scan reads and writes, and the writers that fill them. */
function placeScan(job: ScanJob) {
  const arena = jpegArena();
  const params = arena.reserve(PARAM_BYTES + job.components.length * COMPONENT_BYTES);
  const tables = new Map<HuffmanTable | Int32Array | Uint8Array, number>();
  const place = (item: HuffmanTable | Int32Array | Uint8Array, bytes: number): number => {
    const address = tables.get(item) ?? arena.reserve(bytes);
    tables.set(item, address);
    return address;
  };
  const components = job.components.map((c) => ({
    dc: place(c.dc, TABLE_BYTES),
    ac: place(c.ac, TABLE_BYTES),
    quant: place(c.quant, 64 * 4),
    slotAt: place(c.slotAt, 80),
    weights: c.weights ? arena.reserve(c.weights.byteLength) : 0,
    sums: c.weights ? arena.reserve(SUMS_BYTES) : 0,
  }));
  const rowBytes = job.components.reduce((sum, c) => sum + c.stepY, 0);
  const bandRows = Math.max(1, Math.min(job.mcusY, Math.floor(BAND_BYTES / rowBytes)));
  const bands = job.components.map((c) => arena.reserve(bandRows * c.stepY));
  const window = arena.reserve(WINDOW);
  let windowStart = job.start;
  return {
    arena,
    params,
    bandRows,
    /**
     * Points each component's plane at its band buffer for MCU rows `band` onwards, and the
     * decoder's stop at the band's end. An interleaved scan writes every byte of its bands; a
     * one-component scan may leave padding blocks past its coded ones, which must stay zero as
     * the plane was, so its band is zeroed first.
     */
    startBand(memory: ArrayBuffer, band: number): void {
      const words = new Int32Array(memory, params, PARAM_BYTES / 4 + job.components.length * 12);
      words[P_BAND_END] = Math.min(job.mcusY, band + bandRows) * job.mcusX;
      job.components.forEach((c, j) => {
        words[(PARAM_BYTES + j * COMPONENT_BYTES + C_PLANE) / 4] = bands[j]! - band * c.stepY;
        if (job.components.length === 1)
          new Uint8Array(memory, bands[j]!, c.stepY * bandRows).fill(0);
      });
    },
    /** Copies MCU rows `band` onwards, as decoded, from the band buffers into the planes. */
    readBand(memory: ArrayBuffer, band: number): void {
      const rows = Math.min(job.mcusY, band + bandRows) - band;
      job.components.forEach((c, j) => {
        const bytes = Math.min(rows * c.stepY, c.plane.length - band * c.stepY);
        c.plane.set(new Uint8Array(memory, bands[j]!, bytes), band * c.stepY);
      });
    },
    write(memory: ArrayBuffer): void {
      writeParams(memory, params, job, components);
      for (const [item, address] of tables) writeTable(memory, address, item);
      job.components.forEach((c, j) => writeComponent(memory, c, components[j]!));
    },
    /** Fills the window from file position `from` and points the decoder at it. */
    moveWindow(memory: ArrayBuffer, from: number): void {
      const bytes = job.data.subarray(from, from + WINDOW);
      new Uint8Array(memory, window, bytes.length).set(bytes);
      const last = from + bytes.length >= job.data.length;
      const state = new Int32Array(memory, params, 3);
      state.set([window + bytes.length, window, last ? NO_REFILL : window + bytes.length - MARGIN]);
      windowStart = from;
    },
    /** The file position of an address in the window: by default, where the decoder reads next. */
    position(memory: ArrayBuffer, address = new Int32Array(memory, params, 2)[1]!): number {
      return windowStart + address - window;
    },
  };
}

/** Where one component's tables, sums and plane sit. */
interface ComponentAddresses {
  dc: number;
  ac: number;
  quant: number;
  slotAt: number;
  weights: number;
  sums: number;
}

/** The scan's layout and the decoder's starting state (the window's part is set per call). */
function writeParams(
  memory: ArrayBuffer,
  params: number,
  job: ScanJob,
  components: ComponentAddresses[],
): void {
  const words = new Int32Array(
    memory,
    params,
    (PARAM_BYTES + components.length * COMPONENT_BYTES) / 4,
  );
  // From P_MCU: the first MCU, an empty bit buffer, a full restart interval, predictions 0.
  words.fill(0, 3, STATE_WORDS);
  words[7] = job.restartInterval;
  words.set([job.mcusX, job.mcusY, job.blocksPerMcu, job.restartInterval], STATE_WORDS);
  words.set(job.blockScan.subarray(0, 10), STATE_WORDS + 4);
  words.set(job.blockOffset.subarray(0, 10), STATE_WORDS + 14);
  components.forEach((at, j) => {
    const c = job.components[j]!;
    words.set(
      [
        at.dc,
        at.ac,
        at.quant,
        at.slotAt,
        at.weights,
        0, // the plane's address, set per band
        c.stride,
        c.blockSize,
        c.stepX,
        c.stepY,
        at.sums,
        0,
      ],
      (PARAM_BYTES + j * COMPONENT_BYTES) / 4,
    );
  });
}

/** One table at its address: a Huffman table in the decoder's layout, or a plain array. */
function writeTable(
  memory: ArrayBuffer,
  address: number,
  item: HuffmanTable | Int32Array | Uint8Array,
): void {
  if (item instanceof Int32Array || item instanceof Uint8Array) {
    new Uint8Array(memory, address, item.byteLength).set(
      new Uint8Array(item.buffer, item.byteOffset, item.byteLength),
    );
    return;
  }
  new Uint16Array(memory, address, 1024).set(item.fast);
  new Int32Array(memory, address + 2048, 1024).set(item.fastAc);
  new Int32Array(memory, address + 6144, 18).set(item.maxCode);
  new Int32Array(memory, address + 6216, 17).set(item.symbolOffset);
  new Uint8Array(memory, address + 6284, 256).fill(0).set(item.symbols);
}

/** A component's weights and zeroed sums (2x2 only). */
function writeComponent(memory: ArrayBuffer, c: ScanComponentJob, at: ComponentAddresses): void {
  if (c.weights) {
    new BigInt64Array(memory, at.weights, c.weights.length).set(c.weights);
    new Uint8Array(memory, at.sums, SUMS_BYTES).fill(0);
  }
}
