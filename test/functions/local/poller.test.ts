import { expect } from 'chai';
import { Poller } from '../../../functions/local/poller.js';

/** Resolves once `check()` holds, looking after each turn of the event loop. */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}

describe('functions/local/poller', () => {
  it('runs the task again after each run, one at a time, until stopped', async () => {
    let runs = 0;
    let running = 0;
    let overlapped = false;
    const poller = new Poller(
      async () => {
        running += 1;
        overlapped ||= running > 1;
        runs += 1;
        await new Promise((resolve) => setImmediate(resolve));
        running -= 1;
      },
      1,
      () => undefined,
    );
    poller.start();
    poller.start();
    await until(() => runs >= 3);
    poller.stop();
    await until(() => running === 0);
    const stoppedAt = runs;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(runs).to.equal(stoppedAt);
    expect(overlapped).to.equal(false);
  });

  it('reports a failed run and keeps polling', async () => {
    const errors: unknown[] = [];
    let runs = 0;
    const poller = new Poller(
      () => {
        runs += 1;
        return Promise.reject(new Error(`listing ${runs} failed`));
      },
      1,
      (error) => errors.push(error),
    );
    poller.start();
    await until(() => errors.length >= 2);
    poller.stop();
    expect((errors[0] as Error).message).to.equal('listing 1 failed');
  });
});
