import { expect } from 'chai';
import { RunsInFlight } from '../../../functions/limits/runs-in-flight.js';

/** A run the test ends by hand. */
function manual<T>() {
  let resolve: (value: T) => void = () => undefined;
  let reject: (error: unknown) => void = () => undefined;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('functions/limits: runs that outlive their deliveries', () => {
  it('starts one run per key: a second delivery joins the first', async () => {
    const runs = new RunsInFlight<string>(10, () => undefined);
    const run = manual<string>();
    let starts = 0;
    const start = () => ((starts += 1), run.promise);
    expect(runs.join('a.jpg\n1', start)).to.equal('started');
    expect(runs.join('a.jpg\n1', start)).to.equal('joined');
    expect(runs.join('a.jpg\n2', () => Promise.resolve('other version'))).to.equal('started');
    expect(starts).to.equal(1);
    const waiting = Promise.all([runs.wait('a.jpg\n1', 10_000), runs.wait('a.jpg\n1', 10_000)]);
    run.resolve('done');
    expect(await waiting).to.deep.equal(['done', 'done']);
    expect(runs.has('a.jpg\n1'), 'gone once ended').to.equal(false);
  });

  it('stops waiting at the deadline while the run goes on', async () => {
    const runs = new RunsInFlight<string>(10, () => undefined);
    const run = manual<string>();
    runs.join('slow.jpg\n1', () => run.promise);
    expect(await runs.wait('slow.jpg\n1', 5)).to.equal(undefined);
    expect(runs.has('slow.jpg\n1')).to.equal(true);
    run.resolve('done later');
    expect(await runs.wait('slow.jpg\n1', 10_000)).to.equal('done later');
  });

  it('keeps the end expected when a run was queued, for the deliveries that join it', () => {
    const runs = new RunsInFlight<string>(10, () => undefined);
    const never = () => new Promise<string>(() => undefined);
    expect(runs.join('a.jpg\n1', never, 4_000)).to.equal('started');
    expect(runs.join('a.jpg\n1', never, 99_000), 'a joiner does not move it').to.equal('joined');
    expect(runs.expectedEnd('a.jpg\n1')).to.equal(4_000);
    runs.join('b.jpg\n1', never);
    expect(runs.expectedEnd('b.jpg\n1'), 'unknown: never in time').to.equal(Infinity);
    expect(runs.expectedEnd('c.jpg\n1'), 'none in flight').to.equal(undefined);
  });

  it('queues no more than its capacity', () => {
    const runs = new RunsInFlight<string>(2, () => undefined);
    const never = () => new Promise<string>(() => undefined);
    expect(runs.join('a', never)).to.equal('started');
    expect(runs.join('b', never)).to.equal('started');
    expect(runs.join('c', never)).to.equal('full');
    expect(runs.join('a', never), 'joining one in flight still works').to.equal('joined');
    expect(runs.size).to.equal(2);
  });

  it('reports a failure no delivery waited for, and only those', async () => {
    const reported: string[] = [];
    const runs = new RunsInFlight<string>(10, (key) => reported.push(key));
    const watched = manual<string>();
    runs.join('watched', () => watched.promise);
    const waiting = runs.wait('watched', 10_000);
    watched.reject(new Error('storage down'));
    let caught: unknown;
    try {
      await waiting;
    } catch (error) {
      caught = error;
    }
    expect((caught as Error).message).to.equal('storage down');
    const unwatched = manual<string>();
    runs.join('unwatched', () => unwatched.promise);
    unwatched.reject(new Error('storage down'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(reported).to.deep.equal(['unwatched']);
  });
});
