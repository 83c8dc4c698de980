/**
 * The entry of the JPEG WebAssembly module (compiled by scripts/build-kernels.ts into
 * lib/jpeg/jpeg-wasm.ts): the scan decoder and the encoder share one module, so a thread keeps
 * one memory for both.
 */
export { decodeScan } from './scan';
export { encodeImage } from './encode';

/** Where the caller's memory starts: everything below is this module's own. */
export function heapBase(): i32 {
  return <i32>__heap_base;
}
