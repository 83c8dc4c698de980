/**
 * Completion events end to end: the handler on a real Azurite publishes to a real HTTP receiver
 * on loopback (the webhook publisher, as `npm start -- --events-webhook` uses), and every event
 * is validated against its JSON Schema. Event Grid's cloud side (a custom topic with Entra ID
 * auth) cannot run here: the Event Grid publisher is covered by its error mapping only.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { expect } from 'chai';
import type { BlobServiceClient } from '@azure/storage-blob';
import {
  COMPLETION_EVENT_TYPES,
  completionEventId,
  recordVersion,
  type CompletionEvent,
  type ImageEventData,
} from '../../functions/completion-events.js';
import { currentFingerprint } from '../../functions/backfill-event.js';
import type { Config } from '../../functions/config.js';
import { EventPublishError } from '../../functions/errors.js';
import type { EventHandler } from '../../functions/process-blob.js';
import { useAzurite } from '../helpers/azurite.js';
import { Receiver } from '../helpers/webhook-receiver.js';
import {
  createContainers,
  fixture,
  invocation,
  properties,
  remove,
  testConfig,
  testHandler,
  upload,
  useImageRunner,
} from './support.js';

const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
(addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
const validators = Object.fromEntries(
  Object.values(COMPLETION_EVENT_TYPES).map((type) => [
    type,
    ajv.compile(
      JSON.parse(
        readFileSync(new URL(`../../schemas/events/${type}.schema.json`, import.meta.url), 'utf8'),
      ),
    ),
  ]),
);

function expectValid(event: CompletionEvent): void {
  const validate = validators[event.type];
  expect(validate, event.type).to.not.equal(undefined);
  const valid = validate!(event);
  expect(validate!.errors ?? [], JSON.stringify(validate!.errors)).to.deep.equal([]);
  expect(valid).to.equal(true);
}

describe('functions/completion events (against Azurite and a webhook on loopback)', function () {
  this.timeout(60_000);
  const azurite = useAzurite();
  const images = useImageRunner();
  let client: BlobServiceClient;
  let config: Config;
  let handle: EventHandler;
  let receiver: Receiver;
  let suite = 0;

  beforeEach(async () => {
    suite += 1;
    receiver = new Receiver();
    const url = await receiver.start();
    client = azurite.serviceClient;
    config = testConfig(azurite.connectionString, `ev${suite}`, { IMG_EVENTS_TOPIC_ENDPOINT: url });
    await createContainers(client, config);
    handle = testHandler(config, client, images.runner);
  });

  afterEach(() => receiver.stop());

  it('publishes ImageProcessed with every rendition and the metadata URL once the results are written', async () => {
    const bytes = fixture('jpeg/camera-exif-gps.jpg');
    const event = await upload(client, config.containers.input, 'a/photo.jpg', bytes);
    expect(await handle(event, invocation())).to.include({ status: 'succeeded' });
    expect(receiver.events).to.have.length(1);
    const [published] = receiver.events as [CompletionEvent<ImageEventData>];
    expectValid(published);
    expect(receiver.contentTypes[0]).to.match(/^application\/cloudevents\+json/);
    const eTag = String(event.data.eTag);
    expect(published).to.include({
      type: 'ServerlessImg.ImageProcessed',
      subject: 'a/photo.jpg',
      id: completionEventId(
        'a/photo.jpg',
        recordVersion(eTag, currentFingerprint(config.image)),
        'ServerlessImg.ImageProcessed',
      ),
    });
    expect(published.source).to.equal(
      client.getContainerClient(config.containers.input).url.replace(/\/+$/, ''),
    );
    expect(published.data).to.include({ name: 'a/photo.jpg', eTag, size: bytes.length });
    expect(published.data.format).to.equal('jpeg');
    expect(published.data.renditions.map((r) => r.container)).to.deep.equal([
      config.containers.output,
      config.containers.thumbnails,
    ]);
    // Every URL the event names is a blob a consumer can read, with the size the event says.
    for (const rendition of published.data.renditions) {
      const props = await properties(client, rendition.container, rendition.name);
      expect(props?.contentLength).to.equal(rendition.bytes);
      expect(rendition.url).to.equal(
        client.getContainerClient(rendition.container).getBlobClient(rendition.name).url,
      );
    }
    expect(published.data.metadataUrl).to.equal(
      client.getContainerClient(config.containers.metadata).getBlobClient('a/photo.jpg.json').url,
    );
  });

  it('publishes ImageFailed with the error code once the failure record is written', async () => {
    const event = await upload(
      client,
      config.containers.input,
      'bad.jpg',
      fixture('bad/truncated.jpg'),
    );
    expect(await handle(event, invocation())).to.include({ status: 'failed' });
    expect(receiver.events).to.have.length(1);
    const [published] = receiver.events as [CompletionEvent<ImageEventData>];
    expectValid(published);
    expect(published.type).to.equal('ServerlessImg.ImageFailed');
    expect(published.data.errorCode).to.equal('CORRUPT_IMAGE');
    expect(published.data.renditions).to.deep.equal([]);
  });

  it('republishes the same event, same id, on a duplicate delivery without processing again', async () => {
    const event = await upload(
      client,
      config.containers.input,
      'dup.jpg',
      fixture('png/alpha.png'),
    );
    await handle(event, invocation());
    const again = await handle(event, invocation());
    expect(again).to.include({ status: 'skipped', reason: 'duplicate' });
    expect(receiver.events).to.have.length(2);
    expect(receiver.events[1]).to.deep.equal(receiver.events[0]);
  });

  it('fails the invocation when the publish fails, and the retry only publishes', async () => {
    receiver.failing = 3; // every try of the first delivery
    const event = await upload(
      client,
      config.containers.input,
      'late.jpg',
      fixture('png/alpha.png'),
    );
    const error = await handle(event, invocation()).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).to.be.instanceOf(EventPublishError);
    expect(error).to.include({ code: 'EVENT_PUBLISH_FAILED', permanent: false });
    const written = await properties(client, config.containers.metadata, 'late.jpg.json');
    expect(await handle(event, invocation())).to.include({
      status: 'skipped',
      reason: 'duplicate',
    });
    expect(receiver.events.map((e) => e.type)).to.deep.equal(['ServerlessImg.ImageProcessed']);
    const after = await properties(client, config.containers.metadata, 'late.jpg.json');
    expect(after?.etag).to.equal(written?.etag);
  });

  it('publishes ResultsDeleted naming the results removed', async () => {
    const created = await upload(
      client,
      config.containers.input,
      'gone.jpg',
      fixture('png/alpha.png'),
    );
    await handle(created, invocation());
    const deleted = await remove(client, config.containers.input, 'gone.jpg');
    expect(await handle(deleted, invocation())).to.include({ status: 'deleted' });
    const published = receiver.events[1]!;
    expectValid(published);
    expect(published).to.include({ type: 'ServerlessImg.ResultsDeleted', subject: 'gone.jpg' });
    const removed = (published.data as { removed: { container: string }[] }).removed;
    expect(removed.map((r) => r.container).sort()).to.deep.equal(
      [config.containers.metadata, config.containers.output, config.containers.thumbnails].sort(),
    );
  });

  it('publishes nothing and fails nothing when no topic is configured', async () => {
    const quiet = testConfig(azurite.connectionString, `ev${suite}`);
    const quietHandle = testHandler(quiet, client, images.runner);
    const event = await upload(client, quiet.containers.input, 'q.jpg', fixture('png/alpha.png'));
    expect(await quietHandle(event, invocation())).to.include({ status: 'succeeded' });
    expect(receiver.events).to.deep.equal([]);
  });

  it('names the missing EventGrid Data Sender role when the topic answers 403', () => {
    const error = new EventPublishError(
      'https://t.westeurope-1.eventgrid.azure.net/api/events',
      403,
      new Error('Forbidden'),
    );
    expect(error.message).to.contain('EventGrid Data Sender');
  });
});
