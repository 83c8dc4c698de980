import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runJob } from '../../../lib/cli/job.js';
import { OutputTree } from '../../../lib/cli/write.js';
import { ImagePool } from '../../../lib/runner/pool.js';
import type { FailureRecord } from '../../../lib/types.js';
import { getFixture } from '../../fixtures.js';

describe('cli/job: one file through the image pool', function () {
  this.timeout(120_000);
  let scratch: string;
  let tree: OutputTree;
  let pool: ImagePool;

  beforeEach(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'cli-job-'));
    tree = await OutputTree.open(scratch);
    // The test worker module ends its thread without an answer for an image named `crash`.
    const workerUrl = new URL('../runner/crashing-worker.ts', import.meta.url);
    pool = new ImagePool({ threads: 1, timeoutMs: 60_000, workerUrl });
  });
  afterEach(async () => {
    await pool.close();
    await rm(scratch, { recursive: true, force: true });
  });

  it('fails a file whose worker dies with WORKER_CRASHED, a retryable record, and goes on', async () => {
    const source = getFixture('png/alpha.png').path;
    const process = pool.process.bind(pool);
    const crashed = await runJob({ path: source, name: 'crash' }, {}, tree, process);
    expect(crashed.status).to.equal('failed');
    expect(crashed.error?.code).to.equal('WORKER_CRASHED');
    const record = JSON.parse(
      await readFile(path.join(scratch, 'metadata', 'crash.json'), 'utf8'),
    ) as FailureRecord;
    expect(record.error).to.include({ code: 'WORKER_CRASHED', permanent: false });
    expect(record.source.sha256).to.equal(
      createHash('sha256')
        .update(await readFile(source))
        .digest('hex'),
    );
    expect(await readdir(scratch)).to.deep.equal(['metadata']);

    const next = await runJob({ path: source, name: 'alpha.png' }, {}, tree, process);
    expect(next.status).to.equal('succeeded');
    expect(await readdir(path.join(scratch, 'output'))).to.deep.equal(['alpha.png']);
  });
});
