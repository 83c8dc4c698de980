import { expect } from 'chai';
import { DEFAULT_RETRY_POLICY, exponentialBackoff, sleep } from '../../../functions/local/retry.js';

describe('functions/local/retry', () => {
  it('doubles the wait after each failed attempt, up to the longest wait', () => {
    const schedule = exponentialBackoff({ maxAttempts: 7, initialDelayMs: 10, maxDelayMs: 100 });
    expect(schedule.maxAttempts).to.equal(7);
    expect([1, 2, 3, 4, 5, 6].map((n) => schedule.nextDelayMs(n))).to.deep.equal([
      10, 20, 40, 80, 100, 100,
    ]);
  });

  it('takes what a partial policy leaves out from the default policy', () => {
    const schedule = exponentialBackoff({ initialDelayMs: 200 });
    expect(schedule.maxAttempts).to.equal(DEFAULT_RETRY_POLICY.maxAttempts);
    expect(schedule.nextDelayMs(1)).to.equal(200);
    expect(schedule.nextDelayMs(20)).to.equal(DEFAULT_RETRY_POLICY.maxDelayMs);
    expect(exponentialBackoff().nextDelayMs(2)).to.equal(2 * DEFAULT_RETRY_POLICY.initialDelayMs);
  });

  it('ends a back-off wait as soon as the run is stopped', async () => {
    const stop = new AbortController();
    const waiting = sleep(3_600_000, stop.signal);
    stop.abort();
    await waiting;
    // Already stopped: no wait at all.
    await sleep(3_600_000, stop.signal);
  });
});
