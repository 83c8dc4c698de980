import { expect } from 'chai';
import { riffChunks, riffPayload } from '../../lib/riff.js';

/** A RIFF chunk: type, little-endian length, payload, a pad byte when the length is odd. */
function chunk(type: string, payload: number[], declared = payload.length): number[] {
  const length = [declared & 255, (declared >> 8) & 255, (declared >> 16) & 255, declared >>> 24];
  const pad = payload.length % 2 === 1 ? [0] : [];
  return [...Buffer.from(type, 'latin1'), ...length, ...payload, ...pad];
}
const HEADER = [...Buffer.from('RIFF', 'latin1'), 0, 0, 0, 0, ...Buffer.from('WEBP', 'latin1')];

describe('riff: the one RIFF chunk walk', () => {
  it('yields every chunk after the header, stepping over the pad byte of odd lengths', () => {
    const bytes = Uint8Array.from([...HEADER, ...chunk('VP8X', [1, 2, 3]), ...chunk('EXIF', [9])]);
    const chunks = [...riffChunks(bytes)];
    expect(chunks.map((c) => [c.type, c.start, c.length, c.complete])).to.deep.equal([
      ['VP8X', 20, 3, true],
      ['EXIF', 32, 1, true],
    ]);
    expect([...riffPayload(bytes, chunks[1]!)]).to.deep.equal([9]);
  });

  it('marks a chunk that runs past the end as incomplete, cuts its payload, and stops there', () => {
    const bytes = Uint8Array.from([...HEADER, ...chunk('ICCP', [1, 2], 1000)]);
    const chunks = [...riffChunks(bytes)];
    expect(chunks).to.have.length(1);
    expect(chunks[0]!.complete).to.equal(false);
    expect([...riffPayload(bytes, chunks[0]!)]).to.deep.equal([1, 2]);
  });

  it('walks a range inside a chunk (an animation frame) and judges completeness by its end', () => {
    const inner = chunk('VP8L', [5, 6, 7, 8]);
    const bytes = Uint8Array.from([...HEADER, ...inner]);
    expect([...riffChunks(bytes, 12, 12 + 8 + 2)].map((c) => c.complete)).to.deep.equal([false]);
    expect([...riffChunks(bytes, 12, bytes.length)].map((c) => c.complete)).to.deep.equal([true]);
  });
});
