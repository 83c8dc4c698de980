/**
 * What our WebAssembly modules (the resize kernels, the JPEG scan decoder) share: a module
 * compiled once per thread from its base64 bytes, one instance kept per thread for the calls
 * that fit in KEPT_MEMORY, and an arena that lays out one call's buffers in its memory. Every
 * call is synchronous, so the calls of a thread can share the kept instance.
 */

/** The part of the global WebAssembly API used here (Node has it; @types/node 20 does not declare it). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
};

/** What every one of our modules exports: its memory. */
export interface WasmMemoryExports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
}

/**
 * The most memory the instance kept between calls may hold. Memory first touched costs page
 * faults: a fresh instance per call made the 1 MP photo's plane resize 48 ms of CPU against 31
 * with one kept (measured on the first version of the resize kernels). A call that needs more
 * (a large PNG after its box pre-shrink, a large JPEG decoded at full size) gets an instance of
 * its own, dropped after it, since WebAssembly memory never shrinks.
 */
export const KEPT_MEMORY = 32 * 1024 * 1024;

/** One module and the instance of it a thread keeps. */
export class KeptInstance<E extends WasmMemoryExports> {
  private compiled: object | undefined;
  private kept: E | undefined;

  /** `base64`: the module's bytes, compiled on first use (not at import: cold starts pay for what they use). */
  constructor(private readonly base64: string) {}

  /** An instance with at least `bytes` of memory: the kept one, or over KEPT_MEMORY a fresh one. */
  withMemory(bytes: number): E {
    if (bytes > KEPT_MEMORY) return grown(this.fresh(), bytes);
    this.kept ??= this.fresh();
    return grown(this.kept, bytes);
  }

  private fresh(): E {
    this.compiled ??= new WebAssembly.Module(Buffer.from(this.base64, 'base64'));
    return new WebAssembly.Instance(this.compiled, {}).exports as E;
  }
}

function grown<E extends WasmMemoryExports>(exports: E, bytes: number): E {
  const have = exports.memory.buffer.byteLength;
  if (have < bytes) exports.memory.grow(Math.ceil((bytes - have) / 65536));
  return exports;
}

/** Bytes read past a buffer's end by a 16-byte load (harmless, inside the next one's padding). */
const PADDING = 64;

/** `value` rounded up to a multiple of `to`. */
export const roundUp = (value: number, to: number): number => Math.ceil(value / to) * to;

/** One call's memory: buffers placed one after another from `base`, 16-byte aligned. */
export class Arena {
  private top: number;

  /** `base`: the first address the module leaves to its caller. */
  constructor(base = 0) {
    this.top = roundUp(base, 16);
  }

  /** Bytes reserved so far, padding included: the memory the call needs. */
  get size(): number {
    return this.top;
  }

  /** Reserves `bytes` (plus padding) and returns their address. */
  reserve(bytes: number): number {
    const address = this.top;
    this.top = roundUp(address + bytes + PADDING, 16);
    return address;
  }
}
