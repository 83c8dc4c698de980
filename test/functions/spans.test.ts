import { expect } from 'chai';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { BlobServiceClient } from '@azure/storage-blob';
import type { Config } from '../../functions/config.js';
import type { EventHandler } from '../../functions/process-blob.js';
import { shutdownTelemetry, startTelemetry } from '../../functions/telemetry/setup.js';
import { useAzurite } from '../helpers/azurite.js';
import { memoryTelemetry, type MemoryTelemetry } from './telemetry/memory.js';
import {
  createContainers,
  fixture,
  invocation,
  remove,
  testConfig,
  upload,
  testHandler,
  useImageRunner,
} from './support.js';

describe('functions/process-blob spans for skipped and deleted events', function () {
  this.timeout(60_000);
  const azurite = useAzurite();
  const images = useImageRunner();
  let client: BlobServiceClient;
  let config: Config;
  let handle: EventHandler;
  let memory: MemoryTelemetry;

  before(async () => {
    client = azurite.serviceClient;
    config = testConfig(azurite.connectionString, 'spans');
    await createContainers(client, config);
    handle = testHandler(config, client, images.runner);
  });

  beforeEach(() => {
    memory = memoryTelemetry();
    startTelemetry(memory.options);
  });

  afterEach(async () => {
    await shutdownTelemetry();
  });

  const rootSpans = () => memory.spans().filter((span) => span.kind === SpanKind.CONSUMER);

  it('marks a duplicate delivery as skipped with its reason, and the event’s identity', async () => {
    const event = await upload(
      client,
      config.containers.input,
      'dup.jpg',
      fixture('jpeg/gray.jpg'),
    );
    await handle(event, invocation());
    await handle(event, invocation());
    const [first, second] = rootSpans();
    expect(first?.attributes['serverless_img.outcome']).to.equal('succeeded');
    expect(second?.name).to.equal('process image');
    expect(second?.attributes).to.include({
      'faas.trigger': 'pubsub',
      'cloudevents.event_id': event.id,
      'cloudevents.event_type': 'Microsoft.Storage.BlobCreated',
      'cloudevents.event_subject': event.subject,
      'serverless_img.outcome': 'skipped',
      'serverless_img.skip_reason': 'duplicate',
    });
    expect(second?.attributes['faas.invocation_id']).to.be.a('string');
  });

  it('marks an event for another container as skipped (other-container)', async () => {
    const event = await upload(client, config.containers.output, 'x.jpg', fixture('jpeg/gray.jpg'));
    await handle(event, invocation());
    expect(rootSpans()[0]?.attributes).to.include({
      'serverless_img.outcome': 'skipped',
      'serverless_img.skip_reason': 'other-container',
    });
  });

  it('marks a name whose results would be over 1,024 characters failed, status ERROR, NAME_TOO_LONG', async () => {
    const name = `long/${'s'.repeat(1100)}.jpg`;
    const event = await upload(client, config.containers.input, name, fixture('jpeg/gray.jpg'));
    await handle(event, invocation());
    const [span] = rootSpans();
    expect(span?.status.code).to.equal(SpanStatusCode.ERROR);
    expect(span?.attributes).to.include({
      'serverless_img.outcome': 'failed',
      'serverless_img.error.code': 'NAME_TOO_LONG',
      'error.type': 'NAME_TOO_LONG',
    });
    expect(memory.spans().map((s) => s.name)).to.not.include('download');
  });

  it('names the span of a BlobDeleted "delete results"', async () => {
    const event = await remove(client, config.containers.input, 'dup.jpg');
    await handle(event, invocation());
    const [span] = rootSpans();
    expect(span?.name).to.equal('delete results');
    expect(span?.attributes['serverless_img.outcome']).to.equal('succeeded');
  });
});
