/**
 * The local runtime as `npm start` assembles it (functions/local/runtime.ts), in this process:
 * Azurite behind the recording proxy, events raised from commits, Event Grid's delivery over
 * HTTP to the host's webhook, the real app.
 */
import { expect } from 'chai';
import { BlobServiceClient } from '@azure/storage-blob';
import { createApp } from '../../../functions/app.js';
import { unquoteETag } from '../../../functions/events.js';
import { azuriteConnectionString } from '../../../functions/local/azurite.js';
import type { InvocationReport } from '../../../functions/local/host.js';
import { startFaultProxy, type FaultProxy } from '../../../functions/local/load/proxy.js';
import { startLocalRuntime, type LocalRuntime } from '../../../functions/local/runtime.js';
import { blobPropertiesReader } from '../../../functions/local/storage-events.js';
import type { EventHandler } from '../../../functions/process-blob.js';
import { useAzurite } from '../../helpers/azurite.js';
import { createContainers, fixture, readJson, testConfig, useImageRunner } from '../support.js';

describe('functions/local/runtime (recording proxy, webhook, real app)', function () {
  this.timeout(60_000);
  const azurite = useAzurite();
  const images = useImageRunner();
  let proxy: FaultProxy;
  let runtime: LocalRuntime | undefined;

  before(async () => {
    proxy = await startFaultProxy(azurite.port);
  });
  after(() => proxy.close());
  afterEach(async () => {
    await runtime?.stop();
    runtime = undefined;
  });

  it('processes a blob whose metadata changed right after upload, from the one event its upload raised', async () => {
    const config = testConfig(azuriteConnectionString(proxy.port), 'rt1');
    const client = BlobServiceClient.fromConnectionString(azuriteConnectionString(proxy.port));
    await createContainers(client, config);
    const app = createApp(config, { serviceClient: client, runner: images.runner });
    // Nothing is processed before the test has re-tagged the blob.
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const gated: EventHandler = async (event, context) => {
      await gate;
      return app.processImage(event, context);
    };
    const invocations: InvocationReport[] = [];
    runtime = await startLocalRuntime({
      config,
      serviceClient: client,
      app: { ...app, processImage: gated },
      httpPort: 0,
      recorder: { proxy, properties: blobPropertiesReader(azurite.serviceClient) },
      pollMs: 1_000,
      delivery: { responseWindowMs: 30_000, scheduleScale: 0.001, maxAttempts: 10 },
      onInvocation: (report) => invocations.push(report),
    });
    runtime.startEvents();

    const blob = client.getContainerClient(config.containers.input).getBlockBlobClient('new.jpg');
    const uploaded = await blob.uploadData(fixture('jpeg/camera-exif-gps.jpg'));
    const retagged = await blob.setMetadata({ camera: 'front' });
    open();
    await runtime.idle();

    expect(invocations).to.have.length(1);
    const [only] = invocations;
    expect((only?.event as { data: { eTag: string } }).data.eTag).to.equal(
      unquoteETag(uploaded.etag ?? ''),
    );
    const record = await readJson<{ status: string; source: { eTag: string } }>(
      client,
      config.containers.metadata,
      'new.jpg.json',
    );
    expect(record.status).to.equal('succeeded');
    expect(record.source.eTag).to.equal(unquoteETag(retagged.etag ?? ''));
  });

  it('raises nothing before startEvents(): only events posted to the webhook act (--no-watch)', async () => {
    const config = testConfig(azuriteConnectionString(proxy.port), 'rt2');
    const client = BlobServiceClient.fromConnectionString(azuriteConnectionString(proxy.port));
    await createContainers(client, config);
    const invocations: InvocationReport[] = [];
    runtime = await startLocalRuntime({
      config,
      serviceClient: client,
      app: createApp(config, { serviceClient: client, runner: images.runner }),
      httpPort: 0,
      recorder: { proxy, properties: blobPropertiesReader(azurite.serviceClient) },
      pollMs: 1_000,
      delivery: { responseWindowMs: 30_000, scheduleScale: 0.001, maxAttempts: 10 },
      onInvocation: (report) => invocations.push(report),
    });
    const input = client.getContainerClient(config.containers.input);
    await input.getBlockBlobClient('quiet.jpg').uploadData(fixture('jpeg/gray.jpg'));
    await runtime.idle();
    expect(invocations).to.deep.equal([]);
  });
});
