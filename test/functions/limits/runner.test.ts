import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { BYTES_PER_PIXEL, estimateImageBytes } from '../../../functions/limits/estimate.js';
import { ImageRunner, ImageWorkerPool } from '../../../functions/limits/index.js';
import { ImageError, processImage } from '../../../lib/index.js';
import { getFixture } from '../../fixtures.js';

const read = (name: string) => new Uint8Array(readFileSync(getFixture(name).path));
const MB = 1024 * 1024;

describe('functions/limits: the image runner', function () {
  this.timeout(120_000);
  let runner: ImageRunner | undefined;
  afterEach(async () => {
    await runner?.close();
    runner = undefined;
  });

  it('gives the same result from a worker thread as processing inline', async () => {
    runner = new ImageRunner({ concurrency: 2, memoryBudgetMb: 1024, timeoutMs: 60_000 });
    const bytes = read('jpeg/camera-exif-gps.jpg');
    const inWorker = await runner.process(bytes, { name: 'camera.jpg' });
    const inline = await processImage(bytes, { name: 'camera.jpg' });
    expect(inWorker.renditions.map((r) => r.bytes)).to.deep.equal(
      inline.renditions.map((r) => r.bytes),
    );
    expect(inWorker.metadata.exif).to.deep.equal(inline.metadata.exif);
    expect(inWorker.metadata.source.sha256).to.equal(inline.metadata.source.sha256);
  });

  it('keeps the code and permanence of a typed error across the thread boundary', async () => {
    runner = new ImageRunner({ concurrency: 2, memoryBudgetMb: 1024, timeoutMs: 60_000 });
    const cases: [string, string][] = [
      ['bad/truncated.jpg', 'CORRUPT_IMAGE'],
      ['bad/bomb.png', 'TOO_MANY_PIXELS'],
      ['bad/empty.jpg', 'EMPTY_INPUT'],
      ['bad/not-an-image.jpg', 'UNSUPPORTED_FORMAT'],
    ];
    for (const [name, code] of cases) {
      const error = await runner.process(read(name), { name }).catch((e: unknown) => e);
      expect(error, name).to.be.instanceOf(ImageError).with.property('code', code);
      expect(error).to.have.property('permanent', true);
    }
  });

  it('stops an image that overruns the time limit with TIMEOUT', async () => {
    // 50 ms against a 12 MP decode that takes over a second here: the worker is terminated.
    runner = new ImageRunner({ concurrency: 1, memoryBudgetMb: 1024, timeoutMs: 50 });
    const error = await runner
      .process(read('size/large-photo.jpg'), { name: 'slow.jpg' })
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ImageError).with.property('code', 'TIMEOUT');
    expect((error as ImageError).message).to.match(/slow\.jpg took longer than 50 ms/);
    expect(runner.state()).to.include({ active: 0, usedBytes: 0 });
  });

  it('replaces a terminated worker, so the pool keeps working after a timeout', async () => {
    const pool = new ImageWorkerPool({ threads: 1, timeoutMs: 60_000 });
    try {
      const slow = await pool
        .process(read('size/large-photo.jpg'), { name: 'slow.jpg' }, 50)
        .catch((e: unknown) => e);
      expect(slow).to.have.property('code', 'TIMEOUT');
      const next = await pool.process(read('png/alpha.png'), { name: 'next.png' });
      expect(next.metadata.status).to.equal('succeeded');
      expect(pool.threads).to.equal(1);
    } finally {
      await pool.close();
    }
  });

  it('makes large images wait for each other when two do not fit in the memory budget', async () => {
    // Each 12 MP image is estimated at ~138 MB; a 200 MB budget fits one at a time.
    runner = new ImageRunner({ concurrency: 4, memoryBudgetMb: 200, timeoutMs: 60_000 });
    const large = read('size/large-photo.jpg');
    const small = read('size/tiny-1x1.png');
    const results = await Promise.all([
      runner.process(large, { name: 'a.jpg' }),
      runner.process(large, { name: 'b.jpg' }),
      runner.process(large, { name: 'c.jpg' }),
      runner.process(small, { name: 'tiny.png' }),
    ]);
    expect(results.map((r) => r.metadata.status)).to.deep.equal(Array(4).fill('succeeded'));
    const state = runner.state();
    expect(state.peakUsedBytes).to.be.at.most(200 * MB);
    expect(state.peakUsedBytes).to.be.at.least(estimateImageBytes(large));
    expect(state).to.include({ active: 0, queued: 0, usedBytes: 0 });
  });

  it('counts a queued image in the backlog before its admission, and once only after it', async () => {
    let clock = 0;
    runner = new ImageRunner({
      concurrency: 1,
      memoryBudgetMb: 1024,
      timeoutMs: 60_000,
      responseWindowMs: 30_000,
      now: () => clock,
    });
    // 200 KB: too small for the runner to learn from when it ends, so the estimates stay put.
    const alone = runner.expectedEnd(10 * MB);
    const queued = runner.enqueue(200_000);
    const behindOne = runner.expectedEnd(10 * MB);
    expect(behindOne, 'the queued image is work ahead').to.be.above(alone);
    const slot = await runner.admit(200_000, 10 * MB, queued);
    expect(runner.expectedEnd(10 * MB), 'admitted on its own ticket, not a second').to.equal(
      behindOne,
    );
    clock = 100;
    slot.release();
    expect(runner.expectedEnd(10 * MB), 'gone once released').to.equal(alone + 100);
  });

  it('runs up to the concurrency limit at once when images fit the budget', async () => {
    runner = new ImageRunner({ concurrency: 2, memoryBudgetMb: 1024, timeoutMs: 60_000 });
    const photo = read('size/large-photo.jpg');
    await Promise.all([1, 2, 3, 4].map((i) => runner!.process(photo, { name: `${i}.jpg` })));
    expect(runner.state().peakActive).to.equal(2);
    expect(runner.state().threads).to.be.at.most(2);
  });

  it('estimates memory from the declared pixels, and little for what the guard refuses', () => {
    const photo = read('size/large-photo.jpg');
    expect(estimateImageBytes(photo)).to.equal(4000 * 3000 * BYTES_PER_PIXEL + photo.length * 2);
    const bomb = read('bad/bomb.png');
    expect(estimateImageBytes(bomb)).to.equal(bomb.length * 2);
    const text = read('bad/not-an-image.jpg');
    expect(estimateImageBytes(text)).to.equal(text.length * 2);
    expect(estimateImageBytes(photo.subarray(0, 20))).to.equal(40);
  });
});
