import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import type { JobOutcome } from '../../../lib/cli/job.js';
import { createProgress, formatSummary, summarise } from '../../../lib/cli/report.js';

const ok: JobOutcome = { name: 'a.jpg', source: '/in/a.jpg', status: 'succeeded', ms: 5 };
const bad = (name: string, code: string): JobOutcome => ({
  name,
  source: `/in/${name}`,
  status: 'failed',
  ms: 1,
  error: { code, message: `${name} went wrong` },
});

function capture(isTTY: boolean) {
  const stream = Object.assign(new PassThrough(), { isTTY, columns: 100 });
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

describe('cli/report', () => {
  it('counts processed and failed files and failures per code', () => {
    const summary = summarise(
      '/out',
      [ok, bad('b.png', 'CORRUPT_IMAGE'), bad('c', 'CORRUPT_IMAGE')],
      [],
      1234.4,
    );
    expect(summary).to.include({
      out: '/out',
      total: 3,
      processed: 1,
      failed: 2,
      durationMs: 1234,
    });
    expect(summary.failures).to.deep.equal({ CORRUPT_IMAGE: 2 });
  });

  it('prints a table of failures with codes, then the totals', () => {
    const text = formatSummary(summarise('/out', [ok, bad('b.png', 'EMPTY_INPUT')], [], 2500));
    expect(text).to.match(/^file\s+code\s+why$/m);
    expect(text).to.match(/^b\.png\s+EMPTY_INPUT\s+b\.png went wrong$/m);
    expect(text).to.match(/^processed\s+1$/m);
    expect(text).to.match(/^failed\s+1 \(EMPTY_INPUT 1\)$/m);
    expect(text).to.match(/^total time\s+2\.50 s$/m);
  });

  it('draws no progress bar when the stream is not a terminal', () => {
    const { stream, text } = capture(false);
    const progress = createProgress(2, stream);
    progress.tick(ok);
    progress.stop();
    expect(text()).to.equal('');
  });

  it('draws a progress bar with the failure count on a terminal', () => {
    const { stream, text } = capture(true);
    const progress = createProgress(2, stream);
    progress.tick(bad('b.png', 'CORRUPT_IMAGE'));
    progress.stop();
    expect(text()).to.match(/1\/2 files \| 1 failed \| b\.png/);
  });
});
