/**
 * The local Functions host (functions/local/host.ts) with the real app over Azurite, spoken to
 * over real HTTP as Event Grid speaks to the host: answers, subscription validation, and the
 * hostile events the handler must survive when they arrive at the webhook.
 */
import { expect } from 'chai';
import type { BlobServiceClient } from '@azure/storage-blob';
import { createApp, type App } from '../../../functions/app.js';
import { refusedNameRecordName } from '../../../functions/blob-names.js';
import type { Config } from '../../../functions/config.js';
import { unquoteETag } from '../../../functions/events.js';
import {
  startFunctionsHost,
  type FunctionsHost,
  type InvocationReport,
} from '../../../functions/local/host.js';
import type { Outcome } from '../../../functions/process-blob.js';
import { createBlobServiceClient } from '../../../functions/storage.js';
import { useAzurite } from '../../helpers/azurite.js';
import {
  createContainers,
  fixture,
  list,
  readJson,
  remove,
  testConfig,
  upload,
  useImageRunner,
} from '../support.js';

const PHOTO = 'jpeg/camera-exif-gps.jpg';

/** Posts `body` to the webhook as Event Grid does; returns the status and the body's text. */
async function post(
  url: string,
  body: unknown,
  eventType = 'Notification',
): Promise<{ status: number; text: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'aeg-event-type': eventType },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

describe('functions/local/host (real app over Azurite, real HTTP)', function () {
  this.timeout(60_000);
  const azurite = useAzurite();
  const images = useImageRunner();
  let client: BlobServiceClient;
  let config: Config;
  let host: FunctionsHost;
  let count = 0;

  /** Every blob in the containers the handler writes to. */
  const results = async () => ({
    output: await list(client, config.containers.output),
    thumbnails: await list(client, config.containers.thumbnails),
    metadata: await list(client, config.containers.metadata),
  });

  beforeEach(async () => {
    count += 1;
    client = azurite.serviceClient;
    config = testConfig(azurite.connectionString, `h${count}`);
    await createContainers(client, config);
    const app: App = createApp(config, { serviceClient: client, runner: images.runner });
    host = await startFunctionsHost({ app, port: 0 });
  });

  afterEach(async () => {
    await host.close();
  });

  it('answers 202 once the function has completed, with the results written', async () => {
    const event = await upload(client, config.containers.input, 'a.jpg', fixture(PHOTO));
    expect(await post(host.webhookUrl(), [event])).to.deep.include({ status: 202 });
    expect(await results()).to.deep.equal({
      output: ['a.jpg'],
      thumbnails: ['a.jpg'],
      metadata: ['a.jpg.json'],
    });
  });

  it('answers 500 with the message when the function throws (storage unreachable)', async () => {
    const down = createBlobServiceClient(
      {
        kind: 'connectionString',
        setting: 'IMAGES_STORAGE',
        connectionString: azurite.connectionString.replace(`:${azurite.port}/`, ':9/'),
      },
      { maxTries: 1, tryTimeoutMs: 2_000 },
    );
    const app = createApp(config, { serviceClient: down, runner: images.runner });
    const broken = await startFunctionsHost({ app, port: 0 });
    try {
      const event = await upload(client, config.containers.input, 'b.jpg', fixture(PHOTO));
      const answer = await post(broken.webhookUrl(), [event]);
      expect(answer.status).to.equal(500);
      expect(answer.text).to.match(/\S/);
    } finally {
      await broken.close();
    }
  });

  it('takes a CloudEvent posted alone (not in an array)', async () => {
    const event = await upload(client, config.containers.input, 'c.jpg', fixture(PHOTO));
    const cloudEvent = {
      specversion: '1.0',
      id: event.id,
      type: event.eventType,
      source: event.topic,
      subject: event.subject,
      time: event.eventTime,
      data: event.data,
    };
    expect((await post(host.webhookUrl(), cloudEvent)).status).to.equal(202);
    expect((await results()).metadata).to.deep.equal(['c.jpg.json']);
  });

  it('validates a subscription with the code Event Grid sent, as the host does', async () => {
    const validation = [
      {
        id: 'v1',
        eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
        subject: '',
        data: { validationCode: 'code-1234', validationUrl: 'https://example.invalid/validate' },
        eventTime: new Date().toISOString(),
        dataVersion: '1',
        metadataVersion: '1',
        topic: '/subscriptions/x',
      },
    ];
    const answer = await post(host.webhookUrl(), validation, 'SubscriptionValidation');
    expect(answer.status).to.equal(200);
    expect(JSON.parse(answer.text)).to.deep.equal({ validationResponse: 'code-1234' });
  });

  it('answers 404 for a function it does not have, 400 without an event type, and serves /api/health', async () => {
    const unknown = await post(host.webhookUrl('resizeImage'), []);
    expect(unknown).to.deep.equal({ status: 404, text: "cannot find function: 'resizeImage'" });
    expect((await post(host.webhookUrl(), [], '')).status).to.equal(400);
    const health = await fetch(`${host.url}/api/health`);
    expect(health.status).to.equal(200);
    expect(await health.json()).to.deep.equal({ status: 'healthy' });
    expect((await fetch(`${host.url}/api/other`)).status).to.equal(404);
  });

  describe('hostile events posted to the webhook', () => {
    it('records a subject with ".." segments as NAME_INVALID under _invalid-names/ and touches nothing else', async () => {
      await upload(client, config.containers.output, 'victim.jpg', fixture(PHOTO));
      const event = await upload(client, config.containers.input, 'x.jpg', fixture(PHOTO));
      const walked = `../${config.containers.output}/victim.jpg`;
      event.subject = event.subject.replace(/blobs\/x\.jpg$/, `blobs/${walked}`);
      event.data.url = String(event.data.url).replace(
        /x\.jpg$/,
        `..%2F${config.containers.output}%2Fvictim.jpg`,
      );
      expect((await post(host.webhookUrl(), [event])).status).to.equal(202);
      const recordName = refusedNameRecordName(walked);
      expect(recordName.startsWith('_invalid-names/')).to.equal(true);
      expect(await results()).to.deep.equal({
        output: ['victim.jpg'],
        thumbnails: [],
        metadata: [recordName],
      });
      const record = await readJson<{ status: string; error: { code: string } }>(
        client,
        config.containers.metadata,
        recordName,
      );
      expect(record).to.deep.include({ status: 'failed' });
      expect(record.error.code).to.equal('NAME_INVALID');
    });

    it("ignores an event from another account's topic, writing nothing", async () => {
      const event = await upload(client, config.containers.input, 'foreign.jpg', fixture(PHOTO));
      event.topic = event.topic.replace(/storageAccounts\/[^/]+$/, 'storageAccounts/stattacker');
      expect((await post(host.webhookUrl(), [event])).status).to.equal(202);
      expect(await results()).to.deep.equal({ output: [], thumbnails: [], metadata: [] });
    });

    it('links the results of a stale eTag (blob only re-tagged) to the eTag there now', async () => {
      const event = await upload(client, config.containers.input, 'tagged.jpg', fixture(PHOTO));
      const blob = client.getContainerClient(config.containers.input).getBlobClient('tagged.jpg');
      const retagged = await blob.setMetadata({ reviewed: 'yes' });
      expect(unquoteETag(retagged.etag ?? '')).to.not.equal(event.data.eTag);
      expect((await post(host.webhookUrl(), [event])).status).to.equal(202);
      const record = await readJson<{ status: string; source: { eTag: string } }>(
        client,
        config.containers.metadata,
        'tagged.jpg.json',
      );
      expect(record.status).to.equal('succeeded');
      expect(record.source.eTag).to.equal(unquoteETag(retagged.etag ?? ''));
    });

    it('keeps the results when a BlobDeleted arrives for a blob that still exists', async () => {
      const created = await upload(client, config.containers.input, 'kept.jpg', fixture(PHOTO));
      expect((await post(host.webhookUrl(), [created])).status).to.equal(202);
      // The event of a delete, for a blob that is still there (forged, or out of order).
      const deleted = await remove(client, config.containers.output, 'unrelated.jpg');
      deleted.subject = created.subject;
      deleted.data.url = created.data.url;
      expect((await post(host.webhookUrl(), [deleted])).status).to.equal(202);
      expect(await results()).to.deep.equal({
        output: ['kept.jpg'],
        thumbnails: ['kept.jpg'],
        metadata: ['kept.jpg.json'],
      });
    });
  });
});

describe('functions/local/host: where an invocation waits', () => {
  it('reports the wait for a free slot apart from the time in the function', async () => {
    // One slot: the second delivery waits in the host until the first one's function ends.
    let finishFirst: () => void = () => undefined;
    const first = new Promise<void>((resolve) => (finishFirst = resolve));
    let calls = 0;
    const reports: InvocationReport[] = [];
    const host = await startFunctionsHost({
      app: {
        processImage: async () => {
          calls += 1;
          if (calls === 1) await first;
          return { status: 'skipped', name: 'x.jpg', reason: 'duplicate', ms: 0 } as Outcome;
        },
        health: () => ({ status: 200 }),
      },
      concurrency: 1,
      onInvocation: (report) => reports.push(report),
    });
    try {
      const event = { id: '1', eventType: 'Microsoft.Storage.BlobCreated', subject: 'x' };
      const answers = [post(host.webhookUrl(), [event]), post(host.webhookUrl(), [event])];
      while (calls < 1) await new Promise((resolve) => setImmediate(resolve));
      // Time for the second request to reach the host, where it waits for the one slot.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(calls, 'the second waits for the slot').to.equal(1);
      finishFirst();
      expect((await Promise.all(answers)).map((answer) => answer.status)).to.deep.equal([202, 202]);
      const [ran, waited] = reports;
      expect(ran!.runMs, 'the first held its slot').to.be.above(0);
      expect(
        waited!.queuedMs,
        'the second waited for it, before its function was called',
      ).to.be.above(0);
    } finally {
      await host.close();
    }
  });
});
