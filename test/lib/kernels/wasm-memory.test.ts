/**
 * The memory our WebAssembly modules share a thread's calls through: one instance kept for the
 * calls that fit in KEPT_MEMORY, a fresh one for each larger call, and an arena that lays a
 * call's buffers out without overlap.
 */
import { expect } from 'chai';
import { JPEG_WASM_BASE64 } from '../../../lib/jpeg/jpeg-wasm.js';
import {
  Arena,
  KEPT_MEMORY,
  KeptInstance,
  type WasmMemoryExports,
} from '../../../lib/kernels/wasm-memory.js';

describe('WebAssembly memory (kept instance, arena)', () => {
  it('keeps one instance for the calls that fit, grown to the largest of them', () => {
    const keeper = new KeptInstance<WasmMemoryExports>(JPEG_WASM_BASE64);
    const small = keeper.withMemory(1000);
    const larger = keeper.withMemory(5 * 1024 * 1024);
    expect(larger).to.equal(small);
    expect(larger.memory.buffer.byteLength).to.be.at.least(5 * 1024 * 1024);
    expect(keeper.withMemory(KEPT_MEMORY)).to.equal(small);
  });

  it('gives a call larger than KEPT_MEMORY an instance of its own, and keeps the small one small', () => {
    const keeper = new KeptInstance<WasmMemoryExports>(JPEG_WASM_BASE64);
    const kept = keeper.withMemory(1000);
    const big = keeper.withMemory(KEPT_MEMORY + 1);
    expect(big).not.to.equal(kept);
    expect(big.memory.buffer.byteLength).to.be.greaterThan(KEPT_MEMORY);
    expect(keeper.withMemory(1000)).to.equal(kept);
    expect(kept.memory.buffer.byteLength).to.be.at.most(KEPT_MEMORY);
  });

  it('lays buffers out from its base, 16-byte aligned, none overlapping the one before', () => {
    const arena = new Arena(1001);
    const sizes = [1, 17, 64, 3, 1000];
    const addresses = sizes.map((bytes) => arena.reserve(bytes));
    expect(addresses[0]).to.be.at.least(1001);
    for (const [i, address] of addresses.entries()) {
      expect(address % 16, `buffer ${i}`).to.equal(0);
      if (i > 0) expect(address).to.be.at.least(addresses[i - 1]! + sizes[i - 1]!);
    }
    expect(arena.size).to.be.at.least(addresses[4]! + 1000);
  });
});
