import { expect } from 'chai';
import type { Outcome } from '../../../functions/process-blob.js';
import {
  Deliverer,
  describeError,
  type Delivery,
  type DeliveryAttempt,
  type DeliveryResult,
  type DeliveryTransport,
  type RetryNotice,
} from '../../../functions/local/deliverer.js';
import type { EventGridStorageEvent } from '../../../functions/local/events.js';
import type { RetrySchedule } from '../../../functions/local/retry.js';
import type { BlobChange } from '../../../functions/local/watcher.js';

function change(name: string): BlobChange {
  const event = { subject: name } as EventGridStorageEvent;
  return { event, name, kind: 'created' };
}

const outcome = (name: string): Outcome => ({
  status: 'skipped',
  name,
  eTag: undefined,
  reason: 'duplicate',
  detail: 'test',
  ms: 0,
});

/** A schedule that asks for no wait, recording which failed attempts it was asked about. */
function noWait(maxAttempts: number, asked: number[] = []): RetrySchedule {
  return {
    maxAttempts,
    nextDelayMs: (failedAttempt) => {
      asked.push(failedAttempt);
      return 0;
    },
  };
}

/** Records every part a deliverer reports to. */
function deliverer(transport: DeliveryTransport, schedule: RetrySchedule, concurrency = 2) {
  const delivered: DeliveryResult[] = [];
  const retries: RetryNotice[] = [];
  const exhausted: { delivery: Delivery; error: unknown }[] = [];
  const subject = new Deliverer({
    transport,
    schedule,
    concurrency,
    onDelivered: (result) => delivered.push(result),
    onRetry: (notice) => retries.push(notice),
    onExhausted: (delivery, error) => {
      exhausted.push({ delivery, error });
      return Promise.resolve();
    },
  });
  return { subject, delivered, retries, exhausted };
}

describe('functions/local/deliverer', () => {
  it('tries a failed delivery again on its schedule, telling the transport which attempt it is', async () => {
    const attempts: DeliveryAttempt[] = [];
    const asked: number[] = [];
    const { subject, delivered, retries } = deliverer(
      (event, attempt) => {
        attempts.push(attempt);
        return attempt.attempt < 3
          ? Promise.reject(new Error(`down ${attempt.attempt}`))
          : Promise.resolve(outcome(event.subject));
      },
      noWait(5, asked),
    );
    subject.enqueue(change('a.jpg'));
    await subject.idle();
    expect(attempts).to.deep.equal([
      { attempt: 1, maxAttempts: 5 },
      { attempt: 2, maxAttempts: 5 },
      { attempt: 3, maxAttempts: 5 },
    ]);
    expect(asked).to.deep.equal([1, 2]);
    expect(retries.map((r) => [r.name, r.attempt, describeError(r.error)])).to.deep.equal([
      ['a.jpg', 1, 'down 1'],
      ['a.jpg', 2, 'down 2'],
    ]);
    expect(delivered).to.have.length(1);
    expect(delivered[0]).to.deep.include({ name: 'a.jpg', kind: 'created', attempts: 3 });
    expect(delivered[0]?.outcome).to.deep.equal(outcome('a.jpg'));
  });

  it('hands an event on after its last failed attempt, and reports it nowhere else', async () => {
    const { subject, delivered, retries, exhausted } = deliverer(
      () => Promise.reject(new Error('always')),
      noWait(3),
    );
    subject.enqueue(change('doomed.jpg'));
    await subject.idle();
    expect(retries).to.have.length(2);
    expect(delivered).to.deep.equal([]);
    expect(exhausted).to.have.length(1);
    expect(exhausted[0]?.delivery).to.deep.include({ name: 'doomed.jpg', attempts: 3 });
    expect(describeError(exhausted[0]?.error)).to.equal('always');
  });

  it('never has more than `concurrency` deliveries in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const { subject, delivered } = deliverer(
      async (event) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight -= 1;
        return outcome(event.subject);
      },
      noWait(1),
      3,
    );
    for (let i = 0; i < 10; i += 1) subject.enqueue(change(`${i}.jpg`));
    await subject.idle();
    expect(delivered).to.have.length(10);
    expect(most).to.equal(3);
  });

  it('drops retries still waiting when stopped, and takes nothing until started again', async () => {
    let calls = 0;
    const schedule: RetrySchedule = { maxAttempts: 5, nextDelayMs: () => 3_600_000 };
    const { subject, delivered, retries, exhausted } = deliverer((event) => {
      calls += 1;
      return calls === 1
        ? Promise.reject(new Error('once'))
        : Promise.resolve(outcome(event.subject));
    }, schedule);
    subject.enqueue(change('a.jpg'));
    while (retries.length === 0) await new Promise((resolve) => setImmediate(resolve));
    await subject.stop();
    subject.enqueue(change('ignored.jpg'));
    await subject.idle();
    expect(calls).to.equal(1);

    subject.start();
    subject.enqueue(change('b.jpg'));
    await subject.idle();
    expect(delivered.map((r) => r.name)).to.deep.equal(['b.jpg']);
    expect(exhausted, 'a dropped retry is not dead-lettered').to.deep.equal([]);
  });

  it('waits, in idle(), for the hand-off of an exhausted event to finish', async () => {
    let finishHandOff: (() => void) | undefined;
    const subject = new Deliverer({
      transport: () => Promise.reject(new Error('no')),
      schedule: noWait(1),
      concurrency: 1,
      onExhausted: () =>
        new Promise<void>((resolve) => {
          finishHandOff = resolve;
        }),
    });
    subject.enqueue(change('a.jpg'));
    let idle = false;
    const settled = subject.idle().then(() => {
      idle = true;
    });
    while (finishHandOff === undefined) await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(idle, 'idle while the hand-off runs').to.equal(false);
    finishHandOff();
    await settled;
    expect(idle).to.equal(true);
  });
});
