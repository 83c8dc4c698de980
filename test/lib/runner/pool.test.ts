import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { transferableSymbol, valueSymbol } from 'piscina';
import {
  DEFAULT_RENDITIONS,
  ImageError,
  processImage,
  type ProcessResult,
} from '../../../lib/index.js';
import { ImagePool, WorkerFailedError } from '../../../lib/runner/pool.js';
import { transferOutput, type WorkerOutput } from '../../../lib/runner/worker.js';
import { getFixture } from '../../fixtures.js';
import { FAULT_MESSAGE } from '../faulty-tracer.js';
import { withIccProfile } from '../images.js';

const read = (name: string) => new Uint8Array(readFileSync(getFixture(name).path));
const crashingWorker = new URL('./crashing-worker.ts', import.meta.url);

describe('lib/runner: the image pool', function () {
  this.timeout(120_000);
  let pool: ImagePool | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  it('gives the same images and metadata from a worker thread as processing inline', async () => {
    pool = new ImagePool({ threads: 1, timeoutMs: 60_000 });
    const bytes = read('png/alpha.png');
    const inWorker = await pool.process(bytes, { name: 'alpha.png' });
    const inline = await processImage(bytes, { name: 'alpha.png' });
    expect(inWorker.renditions).to.have.length(2);
    for (const [index, rendition] of inWorker.renditions.entries()) {
      expect(rendition).to.deep.equal(inline.renditions[index]);
    }
    expect(inWorker.metadata.source).to.deep.equal(inline.metadata.source);
    // The caller's bytes were copied, not moved: it still has them for a failure record.
    expect(bytes.byteLength).to.be.greaterThan(0);
  });

  it('decodes a progressive JPEG in a fresh worker thread, mozjpeg loaded there on first use', async () => {
    pool = new ImagePool({ threads: 1, timeoutMs: 60_000 });
    const bytes = read('jpeg/progressive.jpg');
    const inWorker = await pool.process(bytes, { name: 'progressive.jpg' });
    const inline = await processImage(bytes, { name: 'progressive.jpg' });
    expect(inWorker.metadata.image).to.include({ progressive: true });
    expect(inWorker.renditions).to.deep.equal(inline.renditions);
  });

  it('converts a CMYK JPEG through its profile in a worker thread (LittleCMS loads there too)', async () => {
    pool = new ImagePool({ threads: 1, timeoutMs: 60_000 });
    const profile = readFileSync(
      new URL('../../../fixtures/icc/fogra39l-coated.icc', import.meta.url),
    );
    const bytes = withIccProfile(read('jpeg/cmyk-adobe.jpg'), profile);
    const inWorker = await pool.process(bytes, { name: 'print.jpg' });
    const inline = await processImage(bytes, { name: 'print.jpg' });
    expect(inWorker.metadata.image).to.include({ colorSpace: 'cmyk', iccApplied: true });
    expect(inWorker.renditions[0]).to.deep.equal(inline.renditions[0]);
  });

  it('stops an overrunning image with TIMEOUT and goes on with a fresh worker', async () => {
    pool = new ImagePool({ threads: 1, timeoutMs: 60_000 });
    const slow = await pool
      .process(read('size/large-photo.jpg'), { name: 'slow.jpg' }, 50)
      .catch((e: unknown) => e);
    expect(slow).to.be.instanceOf(ImageError).with.property('code', 'TIMEOUT');
    const next = await pool.process(read('png/alpha.png'), { name: 'next.png' });
    expect(next.metadata.status).to.equal('succeeded');
  });

  it('fails an image whose worker dies with WORKER_FAILED, and replaces the worker', async () => {
    pool = new ImagePool({ threads: 1, timeoutMs: 60_000, workerUrl: crashingWorker });
    const crashed = await pool.process(read('png/alpha.png'), { name: 'crash' }).catch((e) => e);
    expect(crashed).to.be.instanceOf(WorkerFailedError).with.property('code', 'WORKER_FAILED');
    expect((crashed as Error).message).to.match(/The worker processing crash stopped/);
    const next = await pool.process(read('png/alpha.png'), { name: 'after.png' });
    expect(next.metadata.status).to.equal('succeeded');
  });

  it('adds the task fields of the calling thread to every task', async () => {
    pool = new ImagePool({
      threads: 1,
      timeoutMs: 60_000,
      workerUrl: crashingWorker,
      taskFields: () => ({ crash: true }),
    });
    const error = await pool.process(read('png/alpha.png'), { name: 'fine.png' }).catch((e) => e);
    expect(error).to.be.instanceOf(WorkerFailedError);
  });

  it('keeps an INTERNAL error INTERNAL across the thread boundary: code, permanence and the bug with its stack', async () => {
    pool = new ImagePool({
      threads: 1,
      timeoutMs: 60_000,
      workerUrl: crashingWorker,
      taskFields: () => ({ faultyStage: 'resize' }),
    });
    const error = await pool.process(read('png/alpha.png'), { name: 'alpha.png' }).catch((e) => e);
    expect(error).to.be.instanceOf(ImageError);
    expect(error).to.include({ code: 'INTERNAL', permanent: false, name: 'InternalError' });
    const cause = (error as Error).cause as Error;
    expect(cause).to.include({ name: 'TypeError', message: FAULT_MESSAGE });
    expect(cause.stack).to.contain('faulty-tracer.ts');
  });

  it('shows every answer to the calling thread before it becomes a result or an error', async () => {
    const seen: WorkerOutput[] = [];
    pool = new ImagePool({ threads: 1, timeoutMs: 60_000, onOutput: (o) => seen.push(o) });
    const error = await pool.process(read('bad/empty.jpg'), { name: 'empty.jpg' }).catch((e) => e);
    expect(error).to.be.instanceOf(ImageError).with.property('code', 'EMPTY_INPUT');
    await pool.process(read('png/alpha.png'), { name: 'alpha.png' });
    expect(seen.map((output) => output.ok)).to.deep.equal([false, true]);
  });
});

describe('lib/runner: moving results out of a worker', () => {
  const image = (container: string, bytes: Uint8Array) => ({
    container,
    name: 'x',
    format: 'png',
    width: 1,
    height: 1,
    bytes,
  });
  const answer = (...renditions: Uint8Array[]): WorkerOutput => ({
    ok: true,
    result: {
      renditions: renditions.map((bytes, index) => image(`c${index}-x`, bytes)),
    } as unknown as ProcessResult,
  });

  it('moves the buffer of every rendition that holds exactly one encoded image', () => {
    const renditions = [new Uint8Array(10), new Uint8Array(4), new Uint8Array(7)];
    const moved = transferOutput(answer(...renditions)) as unknown as Record<symbol, unknown>;
    expect(moved[transferableSymbol]).to.deep.equal(renditions.map((bytes) => bytes.buffer));
    expect(moved[valueSymbol]).to.have.nested.property('result.renditions[2].bytes', renditions[2]);
  });

  it('copies an image that is a view into a larger buffer (WASM memory, pooled buffers)', () => {
    const shared = new ArrayBuffer(64);
    const plain = answer(new Uint8Array(shared, 8, 10), new Uint8Array(shared, 0, 4));
    expect(transferOutput(plain)).to.equal(plain);
  });

  it('brings back every rendition of an image processed in a worker thread, in order', async () => {
    const pool = new ImagePool({ threads: 1, timeoutMs: 60_000 });
    try {
      const renditions = [
        ...DEFAULT_RENDITIONS,
        {
          container: 'large',
          width: 1600,
          height: 1200,
          fit: 'inside',
          format: 'webp',
          quality: 82,
        },
      ] as const;
      const result = await pool.process(read('png/alpha.png'), {
        name: 'alpha.png',
        renditions: renditions.map((rendition) => ({ ...rendition })),
      });
      expect(result.renditions.map((r) => [r.container, r.format])).to.deep.equal([
        ['output', 'png'],
        ['thumbnails', 'png'],
        ['large', 'webp'],
      ]);
    } finally {
      await pool.close();
    }
  });
});
