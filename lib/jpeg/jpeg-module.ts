/**
 * This thread's instance of the JPEG WebAssembly module (lib/jpeg/wasm: the scan decoder and
 * the encoder), compiled on first use. One instance, so the decoder and the encoder share one
 * memory; calls are synchronous, each laying its buffers out afresh from `heapBase()`.
 */
import { JPEG_WASM_BASE64 } from './jpeg-wasm.js';
import { Arena, KeptInstance, type WasmMemoryExports } from '../kernels/wasm-memory.js';

/** What the module exports (lib/jpeg/wasm/index.ts). */
export interface JpegWasmExports extends WasmMemoryExports {
  /** The first address the module leaves to its caller. */
  heapBase(): number;
  /** See lib/jpeg/wasm/scan.ts. */
  decodeScan(params: number): number;
  /** See lib/jpeg/wasm/encode.ts. */
  encodeImage(params: number): number;
}

/** The module (about 10 KB) and this thread's instance of it. */
export const jpegWasm = new KeptInstance<JpegWasmExports>(JPEG_WASM_BASE64);

/** An arena for one call's buffers, from the first address the module leaves to its caller. */
export function jpegArena(): Arena {
  return new Arena(jpegWasm.withMemory(0).heapBase());
}
