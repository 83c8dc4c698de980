import { expect } from 'chai';
import type { BlobServiceClient } from '@azure/storage-blob';
import type { Config } from '../../../functions/config.js';
import { parseStorageEvent, routeEvent, unquoteETag } from '../../../functions/events.js';
import { azuriteConnectionString } from '../../../functions/local/azurite.js';
import { firstN, startFaultProxy, type FaultProxy } from '../../../functions/local/load/proxy.js';
import { createLocalPipeline, type DeliveryResult } from '../../../functions/local/pipeline.js';
import { verifyResults } from '../../../functions/local/verify.js';
import type { EventHandler } from '../../../functions/process-blob.js';
import { createBlobServiceClient } from '../../../functions/storage.js';
import { useAzurite } from '../../helpers/azurite.js';
import { storageAccountOf } from '../../../functions/account.js';
import {
  createContainers,
  fixture,
  list,
  readJson,
  testConfig,
  testHandler,
  useImageRunner,
} from '../support.js';

const PHOTO = 'jpeg/camera-exif-gps.jpg';

describe('functions/local/pipeline (against Azurite)', function () {
  this.timeout(60_000);
  const azurite = useAzurite();
  const images = useImageRunner();
  /** The app's handler on the suite's Azurite. */
  const handle = (): EventHandler => testHandler(config, client, images.runner);
  let client: BlobServiceClient;
  let config: Config;
  let count = 0;

  beforeEach(async () => {
    count += 1;
    client = azurite.serviceClient;
    config = testConfig(azurite.connectionString, `p${count}`);
    await createContainers(client, config);
  });

  const put = (name: string, bytes: Uint8Array) =>
    client
      .getContainerClient(config.containers.input)
      .getBlockBlobClient(name)
      .uploadData(bytes, { blobHTTPHeaders: { blobContentType: 'image/jpeg' } });

  /** A handler whose storage is down (a closed port) for its first `failures` calls. */
  function flaky(failures: number): EventHandler {
    const down = createBlobServiceClient(
      {
        kind: 'connectionString',
        setting: 'IMAGES_STORAGE',
        connectionString: azurite.connectionString.replace(`:${azurite.port}/`, ':9/'),
      },
      { maxTries: 1, tryTimeoutMs: 2_000 },
    );
    const broken = testHandler(config, down, images.runner);
    const working = testHandler(config, client, images.runner);
    let calls = 0;
    return (event, context) => {
      calls += 1;
      return calls <= failures ? broken(event, context) : working(event, context);
    };
  }

  it('turns new, changed and removed blobs into events the handler processes', async () => {
    const results: DeliveryResult[] = [];
    const pipeline = createLocalPipeline({
      config,
      serviceClient: client,
      handler: handle(),
      onResult: (result) => results.push(result),
    });
    await put('a.jpg', fixture(PHOTO));
    expect(await pipeline.scan()).to.equal(1);
    await pipeline.idle();
    expect(results.map((r) => r.outcome?.status)).to.deep.equal(['succeeded']);
    expect(await pipeline.scan()).to.equal(0);

    const changed = await put('a.jpg', fixture('size/panorama.jpg'));
    expect(await pipeline.scan()).to.equal(1);
    await pipeline.idle();
    expect(results[1]?.outcome?.status).to.equal('succeeded');
    const record = await readJson<{ source: { eTag: string } }>(
      client,
      config.containers.metadata,
      'a.jpg.json',
    );
    expect(record.source.eTag).to.equal(unquoteETag(changed.etag ?? ''));

    await client.getContainerClient(config.containers.input).deleteBlob('a.jpg');
    expect(await pipeline.scan()).to.equal(1);
    await pipeline.idle();
    expect(results[2]).to.deep.include({ kind: 'deleted', name: 'a.jpg' });
    expect(await list(client, config.containers.metadata)).to.deep.equal([]);
    expect(await list(client, config.containers.output)).to.deep.equal([]);
    await pipeline.stop();
  });

  it('builds events in the exact Event Grid schema from the blob’s real properties', async () => {
    const events: DeliveryResult[] = [];
    const pipeline = createLocalPipeline({
      config,
      serviceClient: client,
      handler: handle(),
      onResult: (result) => events.push(result),
    });
    const first = await put('dir/x y.jpg', fixture(PHOTO));
    const second = await put('z.jpg', fixture(PHOTO));
    await pipeline.scan();
    await pipeline.idle();
    const byName = new Map(events.map((e) => [e.name, e.event]));
    const event = byName.get('dir/x y.jpg');
    expect(event).to.include({
      subject: `/blobServices/default/containers/${config.containers.input}/blobs/dir/x y.jpg`,
      eventType: 'Microsoft.Storage.BlobCreated',
      dataVersion: '',
      metadataVersion: '1',
    });
    expect(event !== undefined && 'topic' in event ? event.topic : undefined).to.match(
      /^\/subscriptions\/.+\/providers\/Microsoft\.Storage\/storageAccounts\/devstoreaccount1$/,
    );
    expect(event?.data).to.include({
      api: 'PutBlob',
      eTag: unquoteETag(first.etag ?? ''),
      contentLength: fixture(PHOTO).length,
      contentType: 'image/jpeg',
      blobType: 'BlockBlob',
    });
    expect(String(event?.data.url)).to.include('/dir/x%20y.jpg');
    const route = routeEvent(parseStorageEvent(event), {
      inputContainer: config.containers.input,
      account: storageAccountOf(config.storage),
    });
    expect(route.action).to.equal('process');
    const other = byName.get('z.jpg');
    expect(other?.data.eTag).to.equal(unquoteETag(second.etag ?? ''));
    const sequencers = [event?.data.sequencer, other?.data.sequencer].map(String);
    for (const sequencer of sequencers) expect(sequencer).to.match(/^[0-9A-F]{32}$/);
    expect(sequencers[0]).to.not.equal(sequencers[1]);
    await pipeline.stop();
  });

  it('retries a failed delivery with back-off and succeeds once storage is back', async () => {
    const results: DeliveryResult[] = [];
    const retries: number[] = [];
    const pipeline = createLocalPipeline({
      config,
      serviceClient: client,
      handler: flaky(2),
      retry: { maxAttempts: 5, initialDelayMs: 10, maxDelayMs: 100 },
      onResult: (result) => results.push(result),
      onRetry: ({ delayMs }) => retries.push(delayMs),
    });
    await put('retry.jpg', fixture(PHOTO));
    await pipeline.scan();
    await pipeline.idle();
    expect(retries).to.deep.equal([10, 20]);
    expect(results).to.have.length(1);
    expect(results[0]).to.deep.include({ attempts: 3 });
    expect(results[0]?.outcome?.status).to.equal('succeeded');
    expect(await list(client, config.containers.deadletter)).to.deep.equal([]);
  });

  it('dead-letters an event after the last attempt, as Event Grid does', async () => {
    const results: DeliveryResult[] = [];
    const pipeline = createLocalPipeline({
      config,
      serviceClient: client,
      handler: flaky(Number.POSITIVE_INFINITY),
      retry: { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 100 },
      onResult: (result) => results.push(result),
    });
    await put('doomed.jpg', fixture(PHOTO));
    await pipeline.scan();
    await pipeline.idle();
    expect(results).to.have.length(1);
    expect(results[0]?.outcome).to.equal(undefined);
    expect(results[0]?.error).to.match(/^Storage .* failed/);
    const letters = await list(client, config.containers.deadletter);
    expect(letters).to.have.length(1);
    expect(letters[0]).to.match(
      /^LOCAL\/PROCESSIMAGE\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/[0-9a-f-]{36}\.json$/,
    );
    const [record] = await readJson<Record<string, unknown>[]>(
      client,
      config.containers.deadletter,
      letters[0] ?? '',
    );
    expect(record).to.include({
      deadLetterReason: 'MaxDeliveryAttemptsExceeded',
      deliveryAttempts: 3,
      eventType: 'Microsoft.Storage.BlobCreated',
    });
    const report = await verifyResults(client, config);
    expect(report).to.deep.include({ complete: 0, deadLettered: 1, missing: ['doomed.jpg'] });
  });

  describe('when the dead-letter container cannot be written', () => {
    let proxy: FaultProxy;

    beforeEach(async () => {
      proxy = await startFaultProxy(azurite.port);
    });

    afterEach(async () => {
      await proxy.close();
    });

    /** The deliverer's own storage, through the proxy; one try per call (no SDK retries). */
    const proxied = () =>
      createBlobServiceClient(
        {
          kind: 'connectionString',
          setting: 'IMAGES_STORAGE',
          connectionString: azuriteConnectionString(proxy.port),
        },
        { maxTries: 1, tryTimeoutMs: 2_000 },
      );
    const isDeadLetterWrite = (r: { operation: string; container: string | undefined }) =>
      r.operation === 'upload' && r.container === config.containers.deadletter;

    it('retries a dead-letter write that fails, and writes one record once storage answers', async () => {
      proxy.setRule(firstN(2, '503', isDeadLetterWrite));
      const results: DeliveryResult[] = [];
      const pipeline = createLocalPipeline({
        config,
        serviceClient: proxied(),
        handler: flaky(Number.POSITIVE_INFINITY),
        retry: { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 100 },
        deadLetterRetry: { maxAttempts: 4, initialDelayMs: 10, maxDelayMs: 100 },
        onResult: (result) => results.push(result),
      });
      await put('doomed.jpg', fixture(PHOTO));
      await pipeline.scan();
      await pipeline.idle();
      expect(proxy.injected.get('503 upload')).to.equal(2);
      expect(results).to.have.length(1);
      expect(results[0]?.deadLettered).to.match(/^p\d+-deadletter\/LOCAL\/PROCESSIMAGE\//);
      expect(pipeline.pendingDeadLetters()).to.deep.equal([]);
      expect(await list(client, config.containers.deadletter)).to.have.length(1);
      await pipeline.stop();
    });

    it('keeps an event whose dead-letter record cannot be written, and writes it at the next scan', async () => {
      proxy.setRule((r) => (isDeadLetterWrite(r) ? '503' : undefined));
      const results: DeliveryResult[] = [];
      const pending: DeliveryResult[] = [];
      const pipeline = createLocalPipeline({
        config,
        serviceClient: proxied(),
        handler: flaky(Number.POSITIVE_INFINITY),
        retry: { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 100 },
        deadLetterRetry: { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 100 },
        onResult: (result) => results.push(result),
        onDeadLetterPending: (result) => pending.push(result),
      });
      await put('doomed.jpg', fixture(PHOTO));
      await pipeline.scan();
      await pipeline.idle();
      expect(proxy.injected.get('503 upload')).to.equal(3);
      expect(results, 'not reported done, nor dropped').to.deep.equal([]);
      expect(pending.map((r) => r.name)).to.deep.equal(['doomed.jpg']);
      expect(pending[0]?.error).to.match(/dead-letter record is not written yet/);
      expect(pipeline.pendingDeadLetters().map((r) => r.name)).to.deep.equal(['doomed.jpg']);
      expect(await list(client, config.containers.deadletter)).to.deep.equal([]);

      // Still down at the next scan: kept, reported once.
      await pipeline.scan();
      expect(pipeline.pendingDeadLetters()).to.have.length(1);
      expect(pending).to.have.length(1);

      proxy.setRule(undefined);
      await pipeline.scan();
      expect(pipeline.pendingDeadLetters()).to.deep.equal([]);
      expect(results).to.have.length(1);
      expect(results[0]).to.deep.include({ name: 'doomed.jpg', attempts: 2 });
      const letters = await list(client, config.containers.deadletter);
      expect(letters).to.have.length(1);
      expect(results[0]?.deadLettered).to.equal(`${config.containers.deadletter}/${letters[0]}`);
      const report = await verifyResults(client, config);
      expect(report).to.deep.include({ deadLettered: 1, missing: ['doomed.jpg'] });
      await pipeline.stop();
    });
  });

  it('accounts for every input blob: results, failure records, and what is left unprocessed', async () => {
    const pipeline = createLocalPipeline({ config, serviceClient: client, handler: handle() });
    await put('good.jpg', fixture(PHOTO));
    await put('bad.jpg', fixture('bad/truncated.jpg'));
    await pipeline.scan();
    await pipeline.idle();
    await put('late.jpg', fixture(PHOTO));
    const report = await verifyResults(client, config);
    expect(report).to.deep.include({
      complete: 1,
      failed: 1,
      deadLettered: 0,
      missing: ['late.jpg'],
    });
    expect(report.records.get('bad.jpg')?.status).to.equal('failed');
  });

  it('polls on its own once started, and stops cleanly', async () => {
    const seen: string[] = [];
    let done: () => void = () => undefined;
    const processed = new Promise<void>((resolve) => {
      done = resolve;
    });
    const pipeline = createLocalPipeline({
      config,
      serviceClient: client,
      handler: handle(),
      pollIntervalMs: 50,
      onResult: (result) => {
        seen.push(`${result.name}:${result.outcome?.status ?? 'dead'}`);
        done();
      },
    });
    pipeline.start();
    await put('dropped.jpg', fixture(PHOTO));
    await processed;
    await pipeline.stop();
    expect(seen).to.deep.equal(['dropped.jpg:succeeded']);
  });
});
