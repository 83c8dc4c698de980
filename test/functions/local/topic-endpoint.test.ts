/**
 * The local backfill topic (POST /api/events on the host, over real HTTP): what it accepts and
 * refuses, and which events its subscription filter hands on.
 */
import { expect } from 'chai';
import { backfillEvent } from '../../../functions/backfill-event.js';
import type { DeliverableChange } from '../../../functions/local/deliverer.js';
import { startFunctionsHost, type FunctionsHost } from '../../../functions/local/host.js';
import { TOPIC_PATH, topicRoute } from '../../../functions/local/topic-endpoint.js';

describe('functions/local/topic-endpoint (POST /api/events)', () => {
  let host: FunctionsHost;
  let published: DeliverableChange[];

  beforeEach(async () => {
    published = [];
    const app = {
      processImage: () => Promise.reject(new Error('not called')),
      health: () => Promise.resolve({ status: 200 }),
    };
    host = await startFunctionsHost({
      app,
      routes: topicRoute({ inputContainer: 'input', publish: (change) => published.push(change) }),
    });
  });
  afterEach(() => host.close());

  const post = (body: string, type = 'application/cloudevents-batch+json; charset=utf-8') =>
    fetch(`${host.url}${TOPIC_PATH}`, { method: 'POST', headers: { 'content-type': type }, body });
  const request = (container: string, name: string) =>
    backfillEvent({
      container,
      name,
      url: `http://127.0.0.1/acct/${container}/${name}`,
      reason: 'missing',
    });

  it('takes a batch and a single event, and hands on the backfill requests about input blobs only', async () => {
    const other = { ...request('input', 'x.jpg'), type: 'Something.Else' };
    const batch = [request('input', 'a/b.jpg'), request('output', 'c.jpg'), other];
    expect((await post(JSON.stringify(batch))).status).to.equal(200);
    const single = await post(
      JSON.stringify(request('INPUT', 'd.jpg')),
      'application/cloudevents+json',
    );
    expect(single.status).to.equal(200);
    expect(published.map((change) => [change.name, change.kind])).to.deep.equal([
      ['a/b.jpg', 'created'],
      ['d.jpg', 'created'],
    ]);
  });

  it('refuses a body that is not CloudEvents 1.0 with 400 naming what is wrong, and accepts none of it', async () => {
    const missing = { ...request('input', 'a.jpg'), id: undefined };
    const response = await post(JSON.stringify([request('input', 'b.jpg'), missing]));
    expect(response.status).to.equal(400);
    expect(await response.text()).to.equal('Event 1 is not a CloudEvent 1.0: id is missing.');
    expect((await post('{not json')).status).to.equal(400);
    expect(published).to.deep.equal([]);
    const get = await fetch(`${host.url}${TOPIC_PATH}`);
    expect(get.status).to.equal(405);
  });
});
