import { expect } from 'chai';
import {
  DEFAULT_RETRY_POLICY,
  EVENT_GRID_RETRY_DELAYS_MS,
  eventGridSchedule,
  exponentialBackoff,
  sleep,
  SUBSCRIPTION_MAX_ATTEMPTS,
} from '../../../functions/local/retry.js';

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

  it("waits Event Grid's steps: 10 s, 30 s, 1 min, 5 min, … 6 h, then every 12 h", () => {
    const schedule = eventGridSchedule({ jitter: 0 });
    expect(schedule.maxAttempts).to.equal(SUBSCRIPTION_MAX_ATTEMPTS);
    const waits = Array.from({ length: 11 }, (_, i) => schedule.nextDelayMs(i + 1));
    expect(waits).to.deep.equal([
      10_000, 30_000, 60_000, 300_000, 600_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000,
      43_200_000, 43_200_000,
    ]);
  });

  it('compresses the schedule by its scale and moves each wait by at most the jitter', () => {
    const scaled = eventGridSchedule({ scale: 0.05, jitter: 0, maxAttempts: 3 });
    expect(scaled.maxAttempts).to.equal(3);
    expect([1, 2, 3].map((n) => scaled.nextDelayMs(n))).to.deep.equal([500, 1_500, 3_000]);
    const low = eventGridSchedule({ random: () => 0 });
    const high = eventGridSchedule({ random: () => 0.999999 });
    expect(low.nextDelayMs(1)).to.equal(0.95 * EVENT_GRID_RETRY_DELAYS_MS[0]!);
    expect(high.nextDelayMs(1)).to.equal(1.05 * EVENT_GRID_RETRY_DELAYS_MS[0]!);
  });
});
