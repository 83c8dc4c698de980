import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { Outcome } from '../../../functions/process-blob.js';
import { deliveryFailure } from '../../../functions/local/dead-letter.js';
import {
  Deliverer,
  DeliveryError,
  describeError,
  type Delivery,
  type DeliveryAttempt,
  type DeliveryResult,
  type DeliveryTransport,
  type LateAnswer,
  type RetryNotice,
} from '../../../functions/local/deliverer.js';
import type { EventGridStorageEvent } from '../../../functions/local/events.js';
import { eventGridSchedule, type RetrySchedule } from '../../../functions/local/retry.js';
import { webhookTransport } from '../../../functions/local/webhook.js';
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

/** One request the test endpoint received: its delivery count header, and how to answer it. */
interface Received {
  deliveryCount: string | undefined;
  body: unknown;
  answer(status: number, text?: string): void;
}

/** A webhook on loopback that hands every request to `onRequest` to answer when it likes. */
async function endpoint(onRequest: (request: Received, nth: number) => void) {
  let nth = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      nth += 1;
      onRequest(
        {
          deliveryCount: req.headers['aeg-delivery-count'] as string | undefined,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
          answer: (status, text = '') => res.writeHead(status).end(text),
        },
        nth,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/runtime/webhooks/eventgrid?functionName=processImage`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A deliverer posting to `url` with Event Grid's schedule scaled by 0.001 and no jitter. */
function httpDeliverer(url: string, options: { maxAttempts?: number; windowMs?: number } = {}) {
  const retries: RetryNotice[] = [];
  const late: LateAnswer[] = [];
  const delivered: DeliveryResult[] = [];
  const exhausted: { delivery: Delivery; error: unknown }[] = [];
  const subject = new Deliverer({
    transport: webhookTransport({ endpoint: () => url }),
    schedule: eventGridSchedule({ scale: 0.001, jitter: 0, maxAttempts: options.maxAttempts }),
    responseWindowMs: options.windowMs,
    onDelivered: (result) => delivered.push(result),
    onRetry: (notice) => retries.push(notice),
    onLateAnswer: (answer) => late.push(answer),
    onExhausted: (delivery, error) => {
      exhausted.push({ delivery, error });
      return Promise.resolve();
    },
  });
  return { subject, retries, late, delivered, exhausted };
}

const storageEvent = (name: string) =>
  ({
    subject: `/blobServices/default/containers/input/blobs/${name}`,
    dataVersion: '',
    metadataVersion: '1',
    eventTime: '2024-01-01T00:00:00.000Z',
  }) as EventGridStorageEvent;

describe("functions/local/deliverer over HTTP, with Event Grid's rules", () => {
  it('counts a delivery unanswered within the window as failed and retries it while the first request goes on', async () => {
    const held: Received[] = [];
    const server = await endpoint((request, nth) => {
      held.push(request);
      // The first request is answered only once its retry has arrived: it was still open.
      if (nth === 2) {
        request.answer(202);
        held[0]?.answer(202);
      }
    });
    try {
      const { subject, retries, late, delivered } = httpDeliverer(server.url, { windowMs: 100 });
      subject.enqueue({ event: storageEvent('slow.jpg'), name: 'slow.jpg', kind: 'created' });
      await subject.idle();
      expect(held.map((r) => r.deliveryCount)).to.deep.equal(['0', '1']);
      expect(held[0]?.body).to.deep.equal([storageEvent('slow.jpg')]);
      expect(retries).to.have.length(1);
      expect(retries[0]).to.deep.include({ attempt: 1, delayMs: 10 });
      expect(retries[0]?.error).to.be.instanceOf(DeliveryError);
      expect((retries[0]?.error as DeliveryError).code).to.equal('DELIVERY_TIMED_OUT');
      expect(late).to.deep.equal([
        { name: 'slow.jpg', attempt: 1, settled: { outcome: undefined } },
      ]);
      expect(delivered.map((r) => r.attempts)).to.deep.equal([2]);
    } finally {
      await server.close();
    }
  });

  it('holds no event back: every delivery is in flight at once when the endpoint accepts them', async () => {
    const open: Received[] = [];
    const server = await endpoint((request) => {
      open.push(request);
      // Answered only once all twenty are open at the same time.
      if (open.length === 20) for (const held of open) held.answer(202);
    });
    try {
      const { subject, delivered } = httpDeliverer(server.url);
      for (let i = 0; i < 20; i += 1) {
        subject.enqueue({ event: storageEvent(`${i}.jpg`), name: `${i}.jpg`, kind: 'created' });
      }
      await subject.idle();
      expect(delivered.map((r) => r.attempts)).to.deep.equal(Array(20).fill(1));
    } finally {
      await server.close();
    }
  });

  it("retries a 5xx answer after Event Grid's waits (scaled), telling the endpoint the delivery count", async () => {
    const counts: (string | undefined)[] = [];
    const server = await endpoint((request, nth) => {
      counts.push(request.deliveryCount);
      request.answer(nth <= 3 ? 503 : 202, 'busy');
    });
    try {
      const { subject, retries, delivered } = httpDeliverer(server.url);
      subject.enqueue({ event: storageEvent('a.jpg'), name: 'a.jpg', kind: 'created' });
      await subject.idle();
      expect(retries.map((r) => r.delayMs)).to.deep.equal([10, 30, 60]);
      expect(retries.map((r) => describeError(r.error))).to.deep.equal([
        'HTTP 503: busy',
        'HTTP 503: busy',
        'HTTP 503: busy',
      ]);
      expect(counts).to.deep.equal(['0', '1', '2', '3']);
      expect(delivered.map((r) => r.attempts)).to.deep.equal([4]);
    } finally {
      await server.close();
    }
  });

  it('dead-letters at once on 400, 401, 403 and 413, without a retry', async () => {
    const statuses = [400, 401, 403, 413];
    const server = await endpoint((request, nth) => request.answer(statuses[nth - 1] ?? 500));
    try {
      for (const status of statuses) {
        const { subject, retries, exhausted } = httpDeliverer(server.url);
        subject.enqueue({ event: storageEvent(`${status}.jpg`), name: 'x', kind: 'created' });
        await subject.idle();
        expect(retries, String(status)).to.deep.equal([]);
        expect(exhausted).to.have.length(1);
        expect(exhausted[0]?.delivery.attempts).to.equal(1);
        expect(deliveryFailure(exhausted[0]?.error)).to.deep.include({
          reason: 'MaxDeliveryAttemptsExceeded',
          status,
        });
      }
    } finally {
      await server.close();
    }
  });

  it("dead-letters after the subscription's last attempt, with the last status", async () => {
    let requests = 0;
    const server = await endpoint((request) => {
      requests += 1;
      request.answer(500, 'boom');
    });
    try {
      const { subject, retries, exhausted } = httpDeliverer(server.url, { maxAttempts: 3 });
      subject.enqueue({ event: storageEvent('doomed.jpg'), name: 'doomed.jpg', kind: 'created' });
      await subject.idle();
      expect(requests).to.equal(3);
      expect(retries).to.have.length(2);
      expect(exhausted[0]?.delivery.attempts).to.equal(3);
      expect(deliveryFailure(exhausted[0]?.error)).to.deep.equal({
        reason: 'MaxDeliveryAttemptsExceeded',
        message: 'HTTP 500: boom',
        status: 500,
      });
    } finally {
      await server.close();
    }
  });

  it('dead-letters an event whose time to live would pass before its next attempt', async () => {
    let now = 0;
    const exhausted: unknown[] = [];
    const subject = new Deliverer({
      transport: () => {
        now += 10;
        return Promise.reject(new DeliveryError('DELIVERY_FAILED', 'HTTP 503', { status: 503 }));
      },
      schedule: noWait(30),
      timeToLiveMs: 25,
      now: () => now,
      onExhausted: (_delivery, error) => {
        exhausted.push(error);
        return Promise.resolve();
      },
    });
    subject.enqueue(change('old.jpg'));
    await subject.idle();
    expect(now, 'three attempts: at 10, 20 and 30 ms').to.equal(30);
    expect(deliveryFailure(exhausted[0])).to.deep.include({
      reason: 'TimeToLiveExceeded',
      status: 503,
    });
  });
});
