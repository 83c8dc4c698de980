import { expect } from 'chai';
import { ResourceLimiter } from '../../../functions/limits/limiter.js';
import { InvalidOptionError } from '../../../lib/errors.js';

/** A task the test finishes by hand, recording when it started. */
function gate(log: string[], label: string) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return {
    task: async () => {
      log.push(`start ${label}`);
      await done;
      log.push(`end ${label}`);
      return label;
    },
    finish: () => finish(),
  };
}

/** Lets queued grants and continuations run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('functions/limits/limiter', () => {
  it('never runs more images at once than the concurrency limit', async () => {
    const limiter = new ResourceLimiter({ concurrency: 3, memoryBudgetBytes: 1000 });
    const log: string[] = [];
    const gates = Array.from({ length: 10 }, (_, i) => gate(log, String(i)));
    const runs = gates.map((g) => limiter.run(1, g.task));
    await settle();
    expect(limiter.state()).to.include({ active: 3, queued: 7 });
    for (const g of gates) {
      g.finish();
      await settle();
      expect(limiter.state().active).to.be.at.most(3);
    }
    expect(await Promise.all(runs)).to.deep.equal(gates.map((_, i) => String(i)));
    expect(limiter.state()).to.include({ active: 0, queued: 0, usedBytes: 0, peakActive: 3 });
  });

  it('makes a large image wait until enough of the memory budget is free', async () => {
    const limiter = new ResourceLimiter({ concurrency: 4, memoryBudgetBytes: 100 });
    const log: string[] = [];
    const a = gate(log, 'a');
    const b = gate(log, 'b');
    const runA = limiter.run(60, a.task);
    const runB = limiter.run(60, b.task);
    await settle();
    expect(log).to.deep.equal(['start a']);
    expect(limiter.state()).to.include({ active: 1, queued: 1, usedBytes: 60 });
    a.finish();
    await runA;
    await settle();
    expect(log).to.deep.equal(['start a', 'end a', 'start b']);
    b.finish();
    await runB;
    expect(limiter.state().peakUsedBytes).to.equal(60);
  });

  it('runs an image larger than the whole budget alone', async () => {
    const limiter = new ResourceLimiter({ concurrency: 4, memoryBudgetBytes: 100 });
    const log: string[] = [];
    const small = gate(log, 'small');
    const huge = gate(log, 'huge');
    const after = gate(log, 'after');
    const runs = [
      limiter.run(10, small.task),
      limiter.run(10_000, huge.task),
      limiter.run(10, after.task),
    ];
    await settle();
    expect(log).to.deep.equal(['start small']);
    small.finish();
    await settle();
    expect(log).to.deep.equal(['start small', 'end small', 'start huge']);
    expect(limiter.state()).to.include({ active: 1, usedBytes: 100 });
    huge.finish();
    await settle();
    expect(log.slice(-2)).to.deep.equal(['end huge', 'start after']);
    after.finish();
    await Promise.all(runs);
  });

  it('serves waiting images in arrival order, so small ones never starve a large one', async () => {
    const limiter = new ResourceLimiter({ concurrency: 8, memoryBudgetBytes: 100 });
    const log: string[] = [];
    const first = gate(log, 'first');
    const large = gate(log, 'large');
    const small = gate(log, 'small');
    const runs = [
      limiter.run(50, first.task),
      limiter.run(80, large.task),
      limiter.run(10, small.task),
    ];
    await settle();
    expect(log).to.deep.equal(['start first']);
    first.finish();
    await settle();
    expect(log).to.deep.equal(['start first', 'end first', 'start large', 'start small']);
    large.finish();
    small.finish();
    await Promise.all(runs);
  });

  it('gives the slot and the memory back when an image fails', async () => {
    const limiter = new ResourceLimiter({ concurrency: 1, memoryBudgetBytes: 100 });
    const failing = limiter.run(100, () => Promise.reject(new Error('decoder blew up')));
    const next = limiter.run(100, () => Promise.resolve('next ran'));
    const error = await failing.catch((e: unknown) => e);
    expect(error).to.be.instanceOf(Error).with.property('message', 'decoder blew up');
    expect(await next).to.equal('next ran');
    expect(limiter.state()).to.include({ active: 0, usedBytes: 0 });
  });

  it('refuses a concurrency of zero and a budget that is not positive', () => {
    expect(() => new ResourceLimiter({ concurrency: 0, memoryBudgetBytes: 1 })).to.throw(
      InvalidOptionError,
    );
    expect(() => new ResourceLimiter({ concurrency: 1, memoryBudgetBytes: 0 })).to.throw(
      InvalidOptionError,
    );
  });
});
