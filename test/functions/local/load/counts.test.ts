import { expect } from 'chai';
import { DeliveryCounts } from '../../../../functions/local/load/counts.js';

describe('functions/local/load: delivery counts', () => {
  const endpoint = 'http://127.0.0.1:1/runtime/webhooks/eventgrid';

  it("counts a 5xx, the host's 429 and a failed connection within the window as refused fast, and nothing else", () => {
    const counts = new DeliveryCounts(5_000);
    for (const status of [500, 503, 429, undefined, 202, 400]) {
      counts.sent();
      counts.answered({ endpoint, status, ms: 10 });
    }
    expect(counts).to.include({ deliveries: 6, shed: 4, timedOut: 0 });
  });

  it('splits the late answers into the wait for a host slot and the time in the function', () => {
    const counts = new DeliveryCounts(5_000);
    counts.answered({ endpoint, status: 500, ms: 6_500 });
    counts.answered({ endpoint, status: 202, ms: 5_200 });
    counts.answered({ endpoint, status: 202, ms: 300 });
    counts.invoked({ queuedMs: 2_500, runMs: 4_000 });
    counts.invoked({ queuedMs: 1_200, runMs: 4_000 });
    counts.invoked({ queuedMs: 0, runMs: 300 }); // in time: not among the late ones
    expect(counts.timedOut).to.equal(2);
    expect(counts.late()).to.deep.equal({
      answerMs: { p50: 5_200, p95: 6_500, max: 6_500 },
      overWindowInHost: 2,
      hostQueueMs: { p50: 1_200, p95: 2_500, max: 2_500 },
      functionMs: { p50: 4_000, p95: 4_000, max: 4_000 },
    });
  });

  it('reports zeros when nothing was late', () => {
    const none = { p50: 0, p95: 0, max: 0 };
    expect(new DeliveryCounts(5_000).late()).to.deep.equal({
      answerMs: none,
      overWindowInHost: 0,
      hostQueueMs: none,
      functionMs: none,
    });
  });
});
