import { expect } from 'chai';
import {
  DeadLetterWriter,
  deadLetterPath,
  type DeadLetterStore,
} from '../../../functions/local/dead-letter.js';
import {
  DeliveryError,
  type Delivery,
  type DeliveryResult,
} from '../../../functions/local/deliverer.js';
import type { EventGridStorageEvent } from '../../../functions/local/events.js';
import { exponentialBackoff } from '../../../functions/local/retry.js';

const AT = new Date('2024-03-05T07:08:09.000Z');

function delivery(name: string): Delivery {
  const event = {
    subject: `/blobServices/default/containers/input/blobs/${name}`,
    eventType: 'Microsoft.Storage.BlobCreated',
    eventTime: '2024-03-05T07:00:00.000Z',
    id: `id-${name}`,
  } as EventGridStorageEvent;
  return { event, name, kind: 'created', attempts: 3 };
}

/** A store that fails while `down` is true, recording every path it was asked to write. */
function flakyStore() {
  const tried: string[] = [];
  const written = new Map<string, unknown>();
  const store: DeadLetterStore & { down: boolean } = {
    container: 'deadletter',
    down: false,
    write(path, body) {
      tried.push(path);
      if (store.down) return Promise.reject(new Error('503 Service Unavailable'));
      written.set(path, JSON.parse(body));
      return Promise.resolve();
    },
  };
  return { store, tried, written };
}

function writer(store: DeadLetterStore, maxAttempts: number) {
  const written: DeliveryResult[] = [];
  const pending: DeliveryResult[] = [];
  const subject = new DeadLetterWriter({
    store,
    schedule: exponentialBackoff({ maxAttempts, initialDelayMs: 1, maxDelayMs: 1 }),
    onWritten: (result) => written.push(result),
    onPending: (result) => pending.push(result),
    now: () => AT,
  });
  return { subject, written, pending };
}

const running = () => new AbortController().signal;

describe('functions/local/dead-letter', () => {
  it('names records by the hour, as Event Grid does, under LOCAL/PROCESSIMAGE', () => {
    expect(deadLetterPath(AT, 'abc')).to.equal('LOCAL/PROCESSIMAGE/2024/03/05/07/abc.json');
    expect(deadLetterPath(AT)).to.match(
      /^LOCAL\/PROCESSIMAGE\/2024\/03\/05\/07\/[0-9a-f-]{36}\.json$/,
    );
  });

  it('writes the event with the delivery facts added', async () => {
    const { store, written: stored } = flakyStore();
    const { subject, written } = writer(store, 1);
    await subject.write(delivery('a.jpg'), new Error('Storage download failed'), running());
    expect(written).to.have.length(1);
    const [path] = [...stored.keys()];
    expect(written[0]).to.deep.include({
      name: 'a.jpg',
      attempts: 3,
      deadLettered: `deadletter/${path}`,
      error: 'Storage download failed',
    });
    const [record] = stored.get(path ?? '') as Record<string, unknown>[];
    expect(record).to.deep.include({
      id: 'id-a.jpg',
      deadLetterReason: 'MaxDeliveryAttemptsExceeded',
      deliveryAttempts: 3,
      lastDeliveryOutcome: 'Storage download failed',
      lastHttpStatusCode: 500,
      publishTime: '2024-03-05T07:00:00.000Z',
      lastDeliveryAttemptTime: AT.toISOString(),
    });
  });

  it('retries a failed write at the same path, so a retried write never makes two records', async () => {
    const { store, tried, written: stored } = flakyStore();
    store.down = true;
    const { subject, written, pending } = writer(store, 3);
    await subject.write(delivery('a.jpg'), new Error('failed'), running());
    expect(tried).to.have.length(3);
    expect(new Set(tried).size, 'one path for every attempt').to.equal(1);
    expect(written).to.deep.equal([]);
    expect(pending.map((r) => r.name)).to.deep.equal(['a.jpg']);
    expect(pending[0]?.error).to.equal(
      'failed; the dead-letter record is not written yet: 503 Service Unavailable',
    );

    // Kept in memory, at the same path, until storage takes it; reported pending once.
    await subject.flush();
    expect(subject.pending().map((r) => r.name)).to.deep.equal(['a.jpg']);
    expect(pending).to.have.length(1);
    store.down = false;
    await subject.flush();
    expect(new Set(tried).size).to.equal(1);
    expect([...stored.keys()]).to.deep.equal([tried[0]]);
    expect(subject.pending()).to.deep.equal([]);
    expect(written.map((r) => r.deadLettered)).to.deep.equal([`deadletter/${tried[0]}`]);
  });

  it('gives each event its own path', async () => {
    const { store, written: stored } = flakyStore();
    const { subject } = writer(store, 1);
    await subject.write(delivery('a.jpg'), 'x', running());
    await subject.write(delivery('b.jpg'), 'x', running());
    expect(stored.size).to.equal(2);
  });

  it('stops retrying once the runtime stops, and keeps the record', async () => {
    const { store, tried } = flakyStore();
    store.down = true;
    const { subject } = writer(store, 5);
    const stop = new AbortController();
    stop.abort();
    await subject.write(delivery('a.jpg'), new Error('failed'), stop.signal);
    expect(tried).to.have.length(1);
    expect(subject.pending()[0]).to.deep.include({
      name: 'a.jpg',
      error: 'failed; the dead-letter record is not written yet',
    });
  });

  it('says why, as Event Grid does: no status after a timeout, TimeToLiveExceeded for an expired event', async () => {
    const { store, written: stored } = flakyStore();
    const { subject } = writer(store, 1);
    const timedOut = new DeliveryError(
      'DELIVERY_TIMED_OUT',
      'no answer within the 30 s response window',
    );
    const expired = new DeliveryError('TIME_TO_LIVE_EXCEEDED', 'expired', { status: 503 });
    await subject.write(delivery('slow.jpg'), timedOut, running());
    await subject.write(delivery('old.jpg'), expired, running());
    const records = [...stored.values()].map((doc) => (doc as Record<string, unknown>[])[0]);
    expect(records[0]).to.deep.include({
      deadLetterReason: 'MaxDeliveryAttemptsExceeded',
      lastDeliveryOutcome: 'no answer within the 30 s response window',
    });
    expect(records[0]).to.not.have.property('lastHttpStatusCode');
    expect(records[1]).to.deep.include({
      deadLetterReason: 'TimeToLiveExceeded',
      lastHttpStatusCode: 503,
    });
  });
});
