/**
 * Backfill requests as the function routes them (pure), and as the handler acts on them against
 * a real Azurite: the current version processed, a failure record of that version replaced, a
 * duplicate skipped, a gone blob's results removed, other containers and accounts ignored.
 */
import { expect } from 'chai';
import type { BlobServiceClient } from '@azure/storage-blob';
import { storageAccountOf } from '../../functions/account.js';
import {
  backfillEvent,
  currentFingerprint,
  routeBackfill,
} from '../../functions/backfill-event.js';
import { completionEventId, recordVersion } from '../../functions/completion-events.js';
import type { Config } from '../../functions/config.js';
import { InvalidEventError } from '../../functions/errors.js';
import { parseStorageEvent, unquoteETag } from '../../functions/events.js';
import { linkMetadata } from '../../functions/results.js';
import type { EventHandler } from '../../functions/process-blob.js';
import { useAzurite } from '../helpers/azurite.js';
import {
  createContainers,
  fixture,
  invocation,
  list,
  readJson,
  testConfig,
  testHandler,
  useImageRunner,
} from './support.js';

const STIMGDEV = storageAccountOf({
  kind: 'identity',
  setting: 'IMAGES_STORAGE__blobServiceUri',
  blobServiceUri: 'https://stimgdev.blob.core.windows.net',
});
const RULES = { inputContainer: 'input', account: STIMGDEV };

function request(container: string, name: string, url: string) {
  return parseStorageEvent(backfillEvent({ container, name, url, reason: 'missing' }));
}

describe('functions/backfill-event (routing)', () => {
  it('refreshes a blob of the input container named by subject and url alike', () => {
    const url = 'https://stimgdev.blob.core.windows.net/input/photos/a%20b.jpg';
    const route = routeBackfill(request('input', 'photos/a b.jpg', url), RULES);
    expect(route).to.deep.include({
      action: 'refresh',
      blob: { container: 'input', blobName: 'photos/a b.jpg', url },
    });
  });

  it('ignores, with a warning, a blob of another container, another account, or a url naming another blob', () => {
    const cases = [
      request('output', 'a.jpg', 'https://stimgdev.blob.core.windows.net/output/a.jpg'),
      request('input', 'a.jpg', 'https://evil.blob.core.windows.net/input/a.jpg'),
      request('input', 'a.jpg', 'https://stimgdev.blob.core.windows.net/input/b.jpg'),
    ];
    const reasons = cases.map((event) => routeBackfill(event, RULES));
    expect(reasons.map((r) => r.action)).to.deep.equal(['ignore', 'ignore', 'ignore']);
    expect(reasons.map((r) => (r.action === 'ignore' ? r.reason : ''))).to.deep.equal([
      'other-container',
      'other-account',
      'other-account',
    ]);
    expect(reasons.every((r) => r.action === 'ignore' && r.level === 'warning')).to.equal(true);
  });

  it('gives results remade under other settings a new completion event id, a redelivery the same', () => {
    const id = (fingerprint: string) =>
      completionEventId('a.jpg', recordVersion('0x1', fingerprint), 'ServerlessImg.ImageProcessed');
    expect(id('aaaa')).to.equal(id('aaaa'));
    expect(id('aaaa')).to.not.equal(id('bbbb'));
  });

  it('refuses a request without data.url as an invalid event', () => {
    const event = request('input', 'a.jpg', 'x');
    delete event.data.url;
    expect(() => routeBackfill(event, RULES)).to.throw(InvalidEventError);
  });
});

describe('functions/backfill requests in the handler (against Azurite)', function () {
  this.timeout(60_000);
  const azurite = useAzurite();
  const images = useImageRunner();
  let client: BlobServiceClient;
  let config: Config;
  let handle: EventHandler;
  let suite = 0;

  beforeEach(async () => {
    suite += 1;
    client = azurite.serviceClient;
    config = testConfig(azurite.connectionString, `bfe${suite}`);
    await createContainers(client, config);
    handle = testHandler(config, client, images.runner);
  });

  async function put(name: string, file: string): Promise<string> {
    const blob = client.getContainerClient(config.containers.input).getBlockBlobClient(name);
    const response = await blob.uploadData(fixture(file));
    return unquoteETag(response.etag ?? '');
  }

  function requestFor(name: string) {
    const url = client.getContainerClient(config.containers.input).getBlobClient(name).url;
    return backfillEvent({ container: config.containers.input, name, url, reason: 'missing' });
  }

  it('processes the current version, then skips a second request as a duplicate', async () => {
    const eTag = await put('now.jpg', 'jpeg/gray.jpg');
    const first = await handle(requestFor('now.jpg'), invocation());
    expect(first).to.include({ status: 'succeeded', name: 'now.jpg', eTag });
    const second = await handle(requestFor('now.jpg'), invocation());
    expect(second).to.include({ status: 'skipped', reason: 'duplicate' });
  });

  it('replaces a failure record of the current version (a fix since) with results', async () => {
    const eTag = await put('fixed.jpg', 'jpeg/gray.jpg');
    const failure = {
      schemaVersion: 2,
      status: 'failed',
      source: { name: 'fixed.jpg', eTag, bytes: 1 },
      error: { code: 'UNSUPPORTED_FORMAT', message: 'old version', permanent: true },
    };
    const body = JSON.stringify(failure);
    await client
      .getContainerClient(config.containers.metadata)
      .getBlockBlobClient('fixed.jpg.json')
      .upload(body, body.length, {
        metadata: linkMetadata({ name: 'fixed.jpg', eTag, sequencer: '01' }),
      });
    const outcome = await handle(requestFor('fixed.jpg'), invocation());
    expect(outcome).to.include({ status: 'succeeded', eTag });
    const record = await readJson<{ status: string; settings: { fingerprint: string } }>(
      client,
      config.containers.metadata,
      'fixed.jpg.json',
    );
    expect(record.status).to.equal('succeeded');
    expect(record.settings.fingerprint).to.equal(currentFingerprint(config.image));
  });

  it('removes the results of a blob that is gone (a replayed BlobDeleted)', async () => {
    await put('gone.jpg', 'jpeg/gray.jpg');
    await handle(requestFor('gone.jpg'), invocation());
    await client.getContainerClient(config.containers.input).getBlobClient('gone.jpg').delete();
    const outcome = await handle(requestFor('gone.jpg'), invocation());
    expect(outcome).to.include({ status: 'deleted', name: 'gone.jpg' });
    expect(await list(client, config.containers.metadata)).to.deep.equal([]);
    expect(await list(client, config.containers.output)).to.deep.equal([]);
  });
});
