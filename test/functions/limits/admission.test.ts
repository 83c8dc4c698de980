import { expect } from 'chai';
import { ServiceTimeModel, TimeAdmission } from '../../../functions/limits/admission.js';
import { ResourceLimiter, WaitExpiredError } from '../../../functions/limits/limiter.js';
import { NameLocks } from '../../../functions/limits/name-locks.js';

const MB = 1_048_576;
/** 150 ms + 60 ms per MB until it learns otherwise. */
const model = () => new ServiceTimeModel(150, 60);
/** Lets promise callbacks and the limiter's grants run. */
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('functions/limits: admission within the response window', () => {
  let clock = 0;
  const now = () => clock;
  beforeEach(() => {
    clock = 0;
  });

  it('lets a delivery wait while the work queued ends in time, and not once it would not', () => {
    // 150 ms + 60 ms per MB: a 10 MB input is expected to take 750 ms.
    const time = new TimeAdmission({
      concurrency: 2,
      responseWindowMs: 5_000,
      now,
      model: model(),
    });
    expect(time.marginMs).to.equal(2_000);
    const deadline = time.deadline(clock);
    expect(deadline).to.equal(3_000);
    const queued = [];
    while (time.expectedEnd(10 * MB) <= deadline) queued.push(time.enter(10 * MB));
    // Two at a time, 750 ms each: behind n queued images a new one is expected to end at
    // n × 750 / 2 + 750 ms, within the deadline for n ≤ 6.
    expect(queued).to.have.length(7);
    expect(time.size).to.equal(7);
    // Work done frees the time for the next delivery.
    queued[0]?.finish();
    expect(time.expectedEnd(10 * MB)).to.be.at.most(deadline);
  });

  it('keeps a fifth of the window for the answer, at least 2 s, at most half the window', () => {
    const margin = (responseWindowMs: number) =>
      new TimeAdmission({ concurrency: 1, responseWindowMs, now }).marginMs;
    expect(margin(30_000)).to.equal(6_000);
    expect(margin(5_000), 'lag outside the handler does not shrink').to.equal(2_000);
    expect(margin(1_000), 'still time to answer a duplicate').to.equal(500);
  });

  it("runs a delivery's deadline from its arrival, so time it already waited counts", () => {
    const time = new TimeAdmission({
      concurrency: 1,
      responseWindowMs: 5_000,
      now,
      model: model(),
    });
    clock = 3_800;
    expect(time.expectedEnd(10 * MB)).to.equal(3_800 + 750);
    expect(time.expectedEnd(10 * MB)).to.be.above(time.deadline(0));
    expect(time.expectedEnd(10 * MB)).to.be.at.most(time.deadline(3_800));
  });

  it('learns how long deliveries take here, and how much that varies', () => {
    const learning = new ServiceTimeModel(150, 60, 0.5);
    expect(learning.estimateMs(10 * MB)).to.equal(750);
    learning.observe(10 * MB, 2_150); // 200 ms per MB measured
    // Mean 60 + 0.5 × 140 = 130 ms per MB, mean deviation 0.5 × 140 = 70: estimate 130 + 2 × 70.
    expect(learning.estimateMs(10 * MB)).to.equal(150 + 10 * 270);
    learning.observe(1_000, 5_000); // too small to learn from
    expect(learning.estimateMs(10 * MB)).to.equal(150 + 10 * 270);
    for (let i = 0; i < 30; i += 1) learning.observe(10 * MB, 2_150);
    // Steady measurements: the deviation fades, the estimate settles on what was measured.
    expect(learning.estimateMs(10 * MB)).to.be.closeTo(2_150, 20);
  });

  it('estimates what is left of a started image, not all of it', () => {
    const time = new TimeAdmission({
      concurrency: 1,
      responseWindowMs: 5_000,
      now,
      model: model(),
    });
    const first = time.enter(60 * MB); // 3,750 ms expected
    expect(time.expectedEnd(10 * MB), 'behind a whole 60 MB image').to.equal(3_750 + 750);
    first.started();
    clock = 2_500;
    expect(time.expectedEnd(10 * MB), 'behind what is left of it').to.equal(2_500 + 1_250 + 750);
  });
});

describe('functions/limits: a slot whose memory grows once the input is known', () => {
  it('grows when the budget allows, waits for memory, and gives up at its deadline', async () => {
    const limiter = new ResourceLimiter({ concurrency: 2, memoryBudgetBytes: 100 });
    const first = await limiter.acquire(10);
    const second = await limiter.acquire(10);
    await first.resize(60, 0);
    expect(limiter.state().usedBytes).to.equal(70);
    // The second needs 50 more: it waits, and gets them when the first gives memory back.
    const growing = second.resize(60, 1_000);
    await tick();
    expect(limiter.state().usedBytes).to.equal(70);
    first.release();
    await growing;
    expect(second.bytes).to.equal(60);
    expect(limiter.state()).to.include({ active: 1, usedBytes: 60 });
    // No one gives memory back: the wait ends, and the slot keeps what it held.
    const third = await limiter.acquire(30);
    let caught: unknown;
    try {
      await third.resize(50, 20);
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(WaitExpiredError);
    expect(third.bytes).to.equal(30);
    second.release();
    third.release();
    third.release();
    expect(limiter.state()).to.include({ active: 0, usedBytes: 0 });
  });
});

describe('functions/limits: one run per name at a time', () => {
  it('lets a second run of a name start only when the first is done', async () => {
    const locks = new NameLocks();
    const order: string[] = [];
    const releaseFirst = await locks.acquire('a.jpg');
    const second = locks.acquire('a.jpg').then((release) => {
      order.push('second');
      release();
    });
    const other = await locks.acquire('b.jpg');
    order.push('other name at once');
    other();
    await new Promise((resolve) => setTimeout(resolve, 10));
    order.push('first done');
    releaseFirst();
    await second;
    await tick();
    expect(order).to.deep.equal(['other name at once', 'first done', 'second']);
    expect(locks.size).to.equal(0);
  });
});
