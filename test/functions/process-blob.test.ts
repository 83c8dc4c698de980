import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { expect } from 'chai';
import type { BlobServiceClient } from '@azure/storage-blob';
import type { MetadataRecord, SuccessRecord, FailureRecord } from '../../lib/types.js';
import type { Config } from '../../functions/config.js';
import { PermanentStorageError, TransientStorageError } from '../../functions/errors.js';
import { ImageRunner } from '../../functions/limits/index.js';
import { handlerDeps } from '../../functions/app.js';
import { createEventHandler, type EventHandler } from '../../functions/process-blob.js';
import { refusedNameRecordName } from '../../functions/blob-names.js';
import { writeResult } from '../../functions/results.js';
import { createBlobServiceClient } from '../../functions/storage.js';
import { useAzurite } from '../helpers/azurite.js';
import {
  createContainers,
  fixture,
  invocation,
  list,
  properties,
  readJson,
  remove,
  testConfig,
  upload,
  testHandler,
  useImageRunner,
} from './support.js';

const PHOTO = 'jpeg/camera-exif-gps.jpg';

describe('functions/process-blob (against Azurite)', function () {
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
    config = testConfig(azurite.connectionString, `t${suite}`);
    await createContainers(client, config);
    handle = testHandler(config, client, images.runner);
  });

  const results = async () => ({
    output: await list(client, config.containers.output),
    thumbnails: await list(client, config.containers.thumbnails),
    metadata: await list(client, config.containers.metadata),
  });

  it('processes a photo end to end: output, thumbnail, then metadata linked to the source', async () => {
    const bytes = fixture(PHOTO);
    const event = await upload(client, config.containers.input, 'photo.jpg', bytes);
    const outcome = await handle(event, invocation());
    expect(outcome.status).to.equal('succeeded');
    expect(await results()).to.deep.equal({
      output: ['photo.jpg'],
      thumbnails: ['photo.jpg'],
      metadata: ['photo.jpg.json'],
    });
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const eTag = String(event.data.eTag);
    for (const container of [config.containers.output, config.containers.thumbnails]) {
      const props = await properties(client, container, 'photo.jpg');
      expect(props?.contentType).to.equal('image/jpeg');
      expect(props?.metadata).to.include({
        sourcename: 'photo.jpg',
        sourceetag: eTag,
        sourcesha256: sha256,
      });
    }
    const metadataProps = await properties(client, config.containers.metadata, 'photo.jpg.json');
    expect(metadataProps?.contentType).to.equal('application/json');
    const record = await readJson<SuccessRecord>(
      client,
      config.containers.metadata,
      'photo.jpg.json',
    );
    expect(record.status).to.equal('succeeded');
    expect(record.source).to.include({ name: 'photo.jpg', eTag, sha256, bytes: bytes.length });
    expect(record.renditions[1]).to.include({
      container: config.containers.thumbnails,
      width: 150,
      height: 150,
    });
  });

  it('treats a duplicate delivery as done: same results, nothing rewritten or copied', async () => {
    const event = await upload(client, config.containers.input, 'dup.jpg', fixture(PHOTO));
    expect((await handle(event, invocation())).status).to.equal('succeeded');
    const before = await properties(client, config.containers.output, 'dup.jpg');
    const again = await handle(structuredClone(event), invocation());
    expect(again).to.include({ status: 'skipped', reason: 'duplicate' });
    const after = await properties(client, config.containers.output, 'dup.jpg');
    expect(after?.etag).to.equal(before?.etag);
    expect(await results()).to.deep.equal({
      output: ['dup.jpg'],
      thumbnails: ['dup.jpg'],
      metadata: ['dup.jpg.json'],
    });
  });

  it('handles the same event delivered twice at the same time with one set of results', async () => {
    const event = await upload(client, config.containers.input, 'twice.jpg', fixture(PHOTO));
    const outcomes = await Promise.all([
      handle(event, invocation()),
      handle(structuredClone(event), invocation()),
    ]);
    // One run: the second delivery joins the first's run in flight and waits for its end.
    expect(
      outcomes.map((o) => (o.status === 'skipped' ? o.reason : o.status)).sort(),
    ).to.deep.equal(['joined', 'succeeded']);
    expect(await results()).to.deep.equal({
      output: ['twice.jpg'],
      thumbnails: ['twice.jpg'],
      metadata: ['twice.jpg.json'],
    });
    const record = await readJson<SuccessRecord>(
      client,
      config.containers.metadata,
      'twice.jpg.json',
    );
    expect(record.source.eTag).to.equal(event.data.eTag);
  });

  it('processes the version there now when the event is stale, linked to the eTag it read', async () => {
    const old = await upload(client, config.containers.input, 'over.jpg', fixture(PHOTO));
    const newer = await upload(
      client,
      config.containers.input,
      'over.jpg',
      fixture('size/panorama.jpg'),
    );
    // The old event reads the version there now (it may be the only event that blob gets).
    expect(await handle(old, invocation())).to.include({
      status: 'succeeded',
      eTag: newer.data.eTag,
    });
    // The newer event then finds its version done, and the old one redelivered changes nothing.
    expect(await handle(newer, invocation())).to.include({
      status: 'skipped',
      reason: 'duplicate',
    });
    expect(await handle(old, invocation())).to.include({ status: 'skipped', reason: 'duplicate' });
    const record = await readJson<SuccessRecord>(
      client,
      config.containers.metadata,
      'over.jpg.json',
    );
    expect(record.source.eTag).to.equal(newer.data.eTag);
    expect(record.renditions[0]).to.include({ width: 800, height: 133 });
  });

  it('skips a stale event once a newer version has results', async () => {
    const old = await upload(client, config.containers.input, 'late.jpg', fixture(PHOTO));
    const newer = await upload(
      client,
      config.containers.input,
      'late.jpg',
      fixture('size/tall.jpg'),
    );
    expect((await handle(newer, invocation())).status).to.equal('succeeded');
    expect(await handle(old, invocation())).to.include({ status: 'skipped', reason: 'superseded' });
  });

  it('skips an event for a blob deleted since, writing nothing', async () => {
    const event = await upload(client, config.containers.input, 'gone.jpg', fixture(PHOTO));
    await remove(client, config.containers.input, 'gone.jpg');
    expect(await handle(event, invocation())).to.include({ status: 'skipped', reason: 'deleted' });
    expect(await results()).to.deep.equal({ output: [], thumbnails: [], metadata: [] });
  });

  it('records a corrupt image as a permanent failure and completes (no retry)', async () => {
    const bytes = fixture('bad/truncated.jpg');
    const event = await upload(client, config.containers.input, 'broken.jpg', bytes);
    const logs: string[] = [];
    const outcome = await handle(event, invocation(logs));
    expect(outcome).to.include({ status: 'failed', errorCode: 'CORRUPT_IMAGE' });
    expect(await results()).to.deep.equal({
      output: [],
      thumbnails: [],
      metadata: ['broken.jpg.json'],
    });
    const record = await readJson<FailureRecord>(
      client,
      config.containers.metadata,
      'broken.jpg.json',
    );
    expect(record.status).to.equal('failed');
    expect(record.error).to.include({ code: 'CORRUPT_IMAGE', permanent: true });
    expect(record.source).to.include({ name: 'broken.jpg', eTag: event.data.eTag });
    expect(
      logs.some((line) => line.startsWith('warning:') && line.includes('CORRUPT_IMAGE')),
    ).to.equal(true);
    // Redelivery does not process it again.
    expect(await handle(event, invocation())).to.include({
      status: 'skipped',
      reason: 'duplicate',
    });
  });

  it('records a text file named .jpg as UNSUPPORTED_FORMAT', async () => {
    const event = await upload(
      client,
      config.containers.input,
      'notes.jpg',
      fixture('bad/not-an-image.jpg'),
    );
    expect(await handle(event, invocation())).to.include({
      status: 'failed',
      errorCode: 'UNSUPPORTED_FORMAT',
    });
  });

  it('refuses a blob over maxBytes from the event, without downloading it', async () => {
    const small = testConfig(azurite.connectionString, `t${suite}`, { IMG_MAX_BYTES: '1000' });
    const limited = testHandler(small, client, images.runner);
    const event = await upload(client, config.containers.input, 'big.jpg', fixture(PHOTO));
    expect(await limited(event, invocation())).to.include({
      status: 'failed',
      errorCode: 'TOO_LARGE',
    });
    const record = await readJson<FailureRecord>(
      client,
      config.containers.metadata,
      'big.jpg.json',
    );
    expect(record.error.code).to.equal('TOO_LARGE');
    expect(record.source.bytes).to.equal(fixture(PHOTO).length);
  });

  it('refuses a blob over maxBytes when the event under-reports its length', async () => {
    const small = testConfig(azurite.connectionString, `t${suite}`, { IMG_MAX_BYTES: '1000' });
    const limited = testHandler(small, client, images.runner);
    const event = await upload(client, config.containers.input, 'liar.jpg', fixture(PHOTO));
    event.data.contentLength = 10;
    expect(await limited(event, invocation())).to.include({
      status: 'failed',
      errorCode: 'TOO_LARGE',
    });
  });

  it('does nothing for a blob written to the output container', async () => {
    const event = await upload(client, config.containers.output, 'photo.jpg', fixture(PHOTO));
    expect(await handle(event, invocation())).to.include({
      status: 'skipped',
      reason: 'other-container',
    });
    expect(await results()).to.deep.equal({ output: ['photo.jpg'], thumbnails: [], metadata: [] });
  });

  it('keeps spaces, unicode and folders in result names', async () => {
    const name = 'holiday photos/été 2026/Ünïcødé 📷 #1.jpg';
    const event = await upload(client, config.containers.input, name, fixture(PHOTO));
    expect((await handle(event, invocation())).status).to.equal('succeeded');
    expect(await results()).to.deep.equal({
      output: [name],
      thumbnails: [name],
      metadata: [`${name}.json`],
    });
    const props = await properties(client, config.containers.output, name);
    expect(decodeURIComponent(props?.metadata?.sourcename ?? '')).to.equal(name);
  });

  it('gives every input its own results under its own name, each with its real Content-Type', async () => {
    const inputs: [string, string, string][] = [
      ['a.jpg', 'jpeg/gray.jpg', 'image/jpeg'],
      ['a.png', 'png/palette.png', 'image/png'],
      ['a.webp', 'other/lossy.webp', 'image/webp'],
      ['a.gif', 'other/animated.gif', 'image/jpeg'],
      ['a.bmp', 'other/bmp.bmp', 'image/jpeg'],
    ];
    for (const [name, file] of inputs) {
      const event = await upload(client, config.containers.input, `side/${name}`, fixture(file));
      expect((await handle(event, invocation())).status, name).to.equal('succeeded');
    }
    const names = inputs.map(([name]) => `side/${name}`).sort();
    expect(await results()).to.deep.equal({
      output: names,
      thumbnails: names,
      metadata: names.map((name) => `${name}.json`),
    });
    for (const [name, file, contentType] of inputs) {
      const record = await readJson<SuccessRecord>(
        client,
        config.containers.metadata,
        `side/${name}.json`,
      );
      expect(record.source.sha256, name).to.equal(
        createHash('sha256').update(fixture(file)).digest('hex'),
      );
      for (const container of [config.containers.output, config.containers.thumbnails]) {
        const props = await properties(client, container, `side/${name}`);
        expect(props?.contentType, `${container}/${name}`).to.equal(contentType);
        expect(props?.cacheControl).to.equal('public, max-age=86400');
        expect(props?.metadata).to.include({ sourcename: encodeURIComponent(`side/${name}`) });
      }
      expect(record.renditions.map((r) => r.contentType)).to.deep.equal([contentType, contentType]);
    }
  });

  it('writes a third rendition as WebP to its own container, readable at its size', async () => {
    const three = testConfig(azurite.connectionString, `t${suite}`, {
      IMG_RENDITIONS: JSON.stringify([
        { container: `t${suite}-output`, width: 800, height: 600 },
        { container: `t${suite}-thumbnails`, width: 150, height: 150, fit: 'cover' },
        { container: `t${suite}-large`, width: 1600, height: 1200, fit: 'inside', format: 'webp' },
      ]),
      IMG_CACHE_CONTROL: 'public, max-age=60',
    });
    await createContainers(client, three);
    const handler = testHandler(three, client, images.runner);
    const event = await upload(
      client,
      three.containers.input,
      'big.jpg',
      fixture('size/large-photo.jpg'),
    );
    expect((await handler(event, invocation())).status).to.equal('succeeded');
    const large = client.getContainerClient(`t${suite}-large`).getBlobClient('big.jpg');
    const props = await large.getProperties();
    expect(props).to.include({ contentType: 'image/webp', cacheControl: 'public, max-age=60' });
    const meta = await sharp(await large.downloadToBuffer()).metadata();
    expect(meta.format).to.equal('webp');
    expect(Math.max(meta.width ?? 0, meta.height ?? 0)).to.be.at.most(1600);
    expect(meta.width === 1600 || meta.height === 1200).to.equal(true);
    // BlobDeleted removes every configured rendition.
    const deleted = await remove(client, three.containers.input, 'big.jpg');
    expect(await handler(deleted, invocation())).to.deep.include({ status: 'deleted' });
    expect(await list(client, `t${suite}-large`)).to.deep.equal([]);
  });

  it('accepts the same event in the CloudEvents 1.0 schema', async () => {
    const event = await upload(client, config.containers.input, 'cloud.jpg', fixture(PHOTO));
    const cloudEvent = {
      specversion: '1.0',
      id: event.id,
      type: event.eventType,
      source: event.topic,
      subject: event.subject,
      time: event.eventTime,
      data: event.data,
    };
    expect((await handle(cloudEvent, invocation())).status).to.equal('succeeded');
  });

  it('records a name whose results Azure would refuse (over 1,024 characters) as NAME_TOO_LONG, without retry', async () => {
    // Azurite accepts such names; Azure answers 400. What is asserted is our own behaviour.
    const name = `long/${'n'.repeat(1011)}.jpg`;
    expect(name).to.have.length(1020);
    const bytes = fixture(PHOTO);
    const event = await upload(client, config.containers.input, name, bytes);
    const logs: string[] = [];
    const outcome = await handle(event, invocation(logs));
    expect(outcome).to.include({ status: 'failed', errorCode: 'NAME_TOO_LONG', name });
    const recordName = refusedNameRecordName(name);
    expect(await results()).to.deep.equal({ output: [], thumbnails: [], metadata: [recordName] });
    const record = await readJson<FailureRecord>(client, config.containers.metadata, recordName);
    expect(record.status).to.equal('failed');
    expect(record.error).to.include({ code: 'NAME_TOO_LONG', permanent: true });
    expect(record.error.message).to.include('at most 1019 characters');
    expect(record.source).to.include({ name, eTag: event.data.eTag, bytes: bytes.length });
    // Decided from the event: the blob was never read, so there is no hash of it.
    expect(record.source).to.not.have.property('sha256');
    const warning = logs.find((line) => line.startsWith('warning:'));
    expect(warning).to.include('NAME_TOO_LONG').and.include(recordName);
    expect(await handle(event, invocation())).to.include({
      status: 'skipped',
      reason: 'duplicate',
    });
  });

  it('processes a name at the limit: 1,019 characters give a 1,024-character metadata name', async () => {
    const name = `edge/${'e'.repeat(1010)}.jpg`;
    const event = await upload(client, config.containers.input, name, fixture(PHOTO));
    expect(await handle(event, invocation())).to.include({ status: 'succeeded' });
    expect((await results()).metadata).to.deep.equal([`${name}.json`]);
  });

  it('records NAME_TOO_LONG for a name without extension whose output would gain ".jpg"', async () => {
    const name = `noext/${'q'.repeat(1016)}`;
    const event = await upload(client, config.containers.input, name, fixture(PHOTO), '');
    const outcome = await handle(event, invocation());
    expect(outcome).to.include({ status: 'failed', errorCode: 'NAME_TOO_LONG' });
    expect(await results()).to.deep.equal({
      output: [],
      thumbnails: [],
      metadata: [refusedNameRecordName(name)],
    });
  });

  it('replaces the long-name record of an older version, and BlobDeleted removes it', async () => {
    const name = `gone/${'g'.repeat(1100)}.png`;
    const first = await upload(client, config.containers.input, name, fixture(PHOTO));
    expect(await handle(first, invocation())).to.include({ errorCode: 'NAME_TOO_LONG' });
    const second = await upload(client, config.containers.input, name, fixture('jpeg/gray.jpg'));
    expect(await handle(second, invocation())).to.include({ errorCode: 'NAME_TOO_LONG' });
    expect(await handle(first, invocation())).to.include({
      status: 'skipped',
      reason: 'superseded',
    });
    const recordName = refusedNameRecordName(name);
    const record = await readJson<FailureRecord>(client, config.containers.metadata, recordName);
    expect(record.source.eTag).to.equal(second.data.eTag);
    const deleted = await remove(client, config.containers.input, name);
    expect(await handle(deleted, invocation())).to.deep.include({
      status: 'deleted',
      removed: [`${config.containers.metadata}/${recordName}`],
    });
    expect(await results()).to.deep.equal({ output: [], thumbnails: [], metadata: [] });
  });

  it('removes the results when the input blob is deleted', async () => {
    const created = await upload(client, config.containers.input, 'del/me.jpg', fixture(PHOTO));
    expect((await handle(created, invocation())).status).to.equal('succeeded');
    const deleted = await remove(client, config.containers.input, 'del/me.jpg');
    const outcome = await handle(deleted, invocation());
    expect(outcome.status).to.equal('deleted');
    expect(await results()).to.deep.equal({ output: [], thumbnails: [], metadata: [] });
  });

  it('keeps the results of a newer upload when an older BlobDeleted arrives late', async () => {
    await upload(client, config.containers.input, 'again.jpg', fixture(PHOTO));
    const deleted = await remove(client, config.containers.input, 'again.jpg');
    const recreated = await upload(client, config.containers.input, 'again.jpg', fixture(PHOTO));
    expect((await handle(recreated, invocation())).status).to.equal('succeeded');
    const outcome = await handle(deleted, invocation());
    expect(outcome).to.deep.include({ status: 'skipped', reason: 'not-deleted' });
    expect((await results()).metadata).to.deep.equal(['again.jpg.json']);
  });

  it('removes results of an older version when the new version is corrupt', async () => {
    const good = await upload(client, config.containers.input, 'flip.jpg', fixture(PHOTO));
    expect((await handle(good, invocation())).status).to.equal('succeeded');
    const bad = await upload(
      client,
      config.containers.input,
      'flip.jpg',
      fixture('bad/truncated.jpg'),
    );
    expect((await handle(bad, invocation())).status).to.equal('failed');
    expect(await results()).to.deep.equal({
      output: [],
      thumbnails: [],
      metadata: ['flip.jpg.json'],
    });
    const record = await readJson<MetadataRecord>(
      client,
      config.containers.metadata,
      'flip.jpg.json',
    );
    expect(record.status).to.equal('failed');
  });

  it('takes back what it wrote when a newer version wins a result midway', async () => {
    const event = await upload(client, config.containers.input, 'midway.jpg', fixture(PHOTO));
    // A newer version's thumbnail is already there (its processing overtook ours).
    const newer = { name: 'midway.jpg', eTag: 'newer', sequencer: 'F'.repeat(32) };
    const thumbnail = client
      .getContainerClient(config.containers.thumbnails)
      .getBlockBlobClient('midway.jpg');
    await writeResult(thumbnail, fixture(PHOTO), { contentType: 'image/jpeg' }, newer);
    expect(await handle(event, invocation())).to.include({
      status: 'skipped',
      reason: 'superseded',
    });
    expect(await results()).to.deep.equal({
      output: [],
      thumbnails: ['midway.jpg'],
      metadata: [],
    });
    const kept = await properties(client, config.containers.thumbnails, 'midway.jpg');
    expect(kept?.metadata?.sourceetag).to.equal('newer');
  });

  it('replaces a JPEG result by a PNG one under the same name when a new version has transparency', async () => {
    const opaque = await upload(
      client,
      config.containers.input,
      'logo.png',
      fixture('other/bmp.bmp'),
      'image/png',
    );
    expect((await handle(opaque, invocation())).status).to.equal('succeeded');
    expect((await results()).output).to.deep.equal(['logo.png']);
    expect((await properties(client, config.containers.output, 'logo.png'))?.contentType).to.equal(
      'image/jpeg',
    );
    const transparent = await upload(
      client,
      config.containers.input,
      'logo.png',
      fixture('png/alpha.png'),
      'image/png',
    );
    expect((await handle(transparent, invocation())).status).to.equal('succeeded');
    expect(await results()).to.deep.equal({
      output: ['logo.png'],
      thumbnails: ['logo.png'],
      metadata: ['logo.png.json'],
    });
    expect((await properties(client, config.containers.output, 'logo.png'))?.contentType).to.equal(
      'image/png',
    );
  });

  it('lets Event Grid retry when storage is unreachable (transient error rejects)', async () => {
    const down = createBlobServiceClient(
      {
        kind: 'connectionString',
        setting: 'IMAGES_STORAGE',
        connectionString: azurite.connectionString.replace(`:${azurite.port}/`, ':9/'),
      },
      { maxTries: 1, tryTimeoutMs: 2_000 },
    );
    const event = await upload(client, config.containers.input, 'later.jpg', fixture(PHOTO));
    const unreachable = testHandler(config, down, images.runner);
    let caught: unknown;
    try {
      await unreachable(event, invocation());
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(TransientStorageError);
    expect((caught as TransientStorageError).code).to.equal('STORAGE_TRANSIENT');
  });

  it('rethrows a bug inside the core as INTERNAL for Event Grid to retry, writing no failure record', async () => {
    // The image runner port throws what a bug in a stage throws; the real core's own
    // classification is tested in test/lib/errors.test.ts and test/lib/process.test.ts.
    const buggy = createEventHandler({
      ...handlerDeps(config, client, images.runner),
      runner: {
        deadline: (arrivedAt) => arrivedAt + 30_000,
        expectedEnd: () => performance.now(),
        enqueue: () => ({ started: () => undefined, finish: () => undefined }),
        admit: async () => ({
          process: () =>
            Promise.reject(new TypeError("Cannot read properties of undefined (reading 'width')")),
          release: () => undefined,
        }),
      },
    });
    const event = await upload(client, config.containers.input, 'bug.jpg', fixture(PHOTO));
    const logs: string[] = [];
    let caught: unknown;
    try {
      await buggy(event, invocation(logs));
    } catch (error) {
      caught = error;
    }
    expect(caught).to.include({ code: 'INTERNAL', permanent: false });
    expect((await results()).metadata).to.deep.equal([]);
    const logged = logs.find((line) => line.startsWith('error:')) ?? '';
    expect(logged).to.match(/bug\.jpg failed and will be retried/);
    expect(logged, 'the stack of the bug').to.match(/TypeError: Cannot read[\s\S]*\n\s+at /);
  });

  it('processes a blob whose metadata changed right after upload (new eTag, no new event)', async () => {
    const event = await upload(client, config.containers.input, 'tagged.jpg', fixture(PHOTO));
    const input = client.getContainerClient(config.containers.input).getBlobClient('tagged.jpg');
    const { etag } = await input.setMetadata({ reviewed: 'yes' });
    const now = String(etag).replaceAll('"', '');
    expect(now).to.not.equal(event.data.eTag);
    expect(await handle(event, invocation())).to.include({ status: 'succeeded', eTag: now });
    const record = await readJson<SuccessRecord>(
      client,
      config.containers.metadata,
      'tagged.jpg.json',
    );
    expect(record.source.eTag).to.equal(now);
    expect(await list(client, config.containers.output)).to.deep.equal(['tagged.jpg']);
  });

  it('records a result write that storage refuses for good as STORAGE_PERMANENT, leaving no output', async () => {
    // Azurite takes what Azure refuses (8 KiB of blob metadata, for one): the store refuses
    // the thumbnail as Azure would, with the real store underneath for everything else.
    const deps = handlerDeps(config, client, images.runner);
    const refusing = createEventHandler({
      ...deps,
      results: {
        completedVersion: (name) => deps.results.completedVersion(name),
        remove: (name, owner, except) => deps.results.remove(name, owner, except),
        readRecord: (name) => deps.results.readRecord(name),
        urlOf: (container, name) => deps.results.urlOf(container, name),
        write: (result, link) =>
          result.container === config.containers.thumbnails
            ? Promise.reject(
                new PermanentStorageError('write thumbnail', 400, new Error('MetadataTooLarge')),
              )
            : deps.results.write(result, link),
      },
    });
    const event = await upload(client, config.containers.input, 'refused.jpg', fixture(PHOTO));
    expect(await refusing(event, invocation())).to.include({
      status: 'failed',
      errorCode: 'STORAGE_PERMANENT',
    });
    expect(await results()).to.deep.equal({
      output: [],
      thumbnails: [],
      metadata: ['refused.jpg.json'],
    });
    const record = await readJson<FailureRecord>(
      client,
      config.containers.metadata,
      'refused.jpg.json',
    );
    expect(record.error).to.include({ code: 'STORAGE_PERMANENT', permanent: true });
  });

  it('retries an image that timed out once, and records TIMEOUT the second time', async () => {
    const slow = new ImageRunner({ concurrency: 1, memoryBudgetMb: 1024, timeoutMs: 5 });
    try {
      const timing = testHandler(config, client, slow);
      const event = await upload(
        client,
        config.containers.input,
        'slow.jpg',
        fixture('size/large-photo.jpg'),
      );
      let first: unknown;
      try {
        await timing(event, invocation());
      } catch (error) {
        first = error;
      }
      expect(first).to.include({ code: 'TIMEOUT' });
      expect((await results()).metadata).to.deep.equal([]);
      expect(await timing(event, invocation())).to.include({
        status: 'failed',
        errorCode: 'TIMEOUT',
      });
    } finally {
      await slow.close();
    }
  });

  it('refuses a name with a ".." segment without reading or writing anywhere else', async () => {
    // A hostile event: the subject walks out of the input container.
    await upload(client, config.containers.output, 'victim.jpg', fixture(PHOTO));
    const event = await upload(client, config.containers.input, 'x.jpg', fixture(PHOTO));
    event.subject = event.subject.replace(
      /blobs\/x\.jpg$/,
      `blobs/../${config.containers.output}/victim.jpg`,
    );
    event.data.url = String(event.data.url).replace(
      /x\.jpg$/,
      `..%2F${config.containers.output}%2Fvictim.jpg`,
    );
    const outcome = await handle(event, invocation());
    expect(outcome).to.include({ status: 'failed', errorCode: 'NAME_INVALID' });
    expect(await results()).to.deep.equal({
      output: ['victim.jpg'],
      thumbnails: [],
      metadata: [refusedNameRecordName(`../${config.containers.output}/victim.jpg`)],
    });
  });

  it("ignores an event from another account's topic, touching nothing", async () => {
    const logs: string[] = [];
    const event = await upload(client, config.containers.input, 'foreign.jpg', fixture(PHOTO));
    event.topic = event.topic.replace(/storageAccounts\/[^/]+$/, 'storageAccounts/stattacker');
    expect(await handle(event, invocation(logs))).to.include({
      status: 'skipped',
      reason: 'other-account',
    });
    expect(await results()).to.deep.equal({ output: [], thumbnails: [], metadata: [] });
    expect(
      logs.some((line) => line.startsWith('warning:') && line.includes('stattacker')),
    ).to.equal(true);
  });

  it('answers at once with INSTANCE_BUSY when the image cannot end within the window, keeps it queued, and the retry finds its results', async () => {
    const windowed = testConfig(azurite.connectionString, `t${suite}`, {
      IMG_RESPONSE_WINDOW_MS: '2000',
    });
    const runner = new ImageRunner({
      ...windowed.resources,
      concurrency: 1,
      responseWindowMs: 2000,
    });
    try {
      // Work queued here already: a 20 MB input, expected to take 1.35 s, more than the 1 s
      // left after the margin; one image at a time leaves no room for another.
      const ahead = await runner.admit(20 * 1_048_576, 20 * 1_048_576);
      const deps = handlerDeps(windowed, client, runner);
      const busy = createEventHandler(deps);
      const event = await upload(client, config.containers.input, 'busy.jpg', fixture(PHOTO));
      let caught: unknown;
      try {
        await busy(event, invocation());
      } catch (error) {
        caught = error;
      }
      expect(caught).to.include({ code: 'INSTANCE_BUSY', permanent: false });
      expect((caught as Error).message).to.match(/stays queued here/);
      expect(await results()).to.deep.equal({ output: [], thumbnails: [], metadata: [] });
      expect(deps.runs.size, 'the run stays queued after the answer').to.equal(1);
      ahead.release();
      while (deps.runs.size > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      expect((await results()).metadata).to.deep.equal(['busy.jpg.json']);
      const retried = await busy(event, invocation());
      expect(retried).to.include({ status: 'skipped', reason: 'duplicate' });
    } finally {
      await runner.close();
    }
  });

  it('answers a redelivery at once with INSTANCE_BUSY when the run it joins cannot end before its deadline, without waiting for the run', async () => {
    // A run expected to end ten minutes from now, behind an admission the test holds shut: a
    // delivery that waited for it would hold its host slot (and the deliveries queued behind
    // it) until its deadline, four minutes on; this one must answer while the run is held.
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const deps = handlerDeps(config, client, images.runner);
    const handler = createEventHandler({
      ...deps,
      runner: {
        deadline: (arrivedAt) => arrivedAt + 240_000,
        expectedEnd: () => performance.now() + 600_000,
        enqueue: () => ({ started: () => undefined, finish: () => undefined }),
        admit: async () => {
          await gate;
          return {
            process: (bytes, options) => images.runner.process(bytes, options),
            release: () => undefined,
          };
        },
      },
    });
    const event = await upload(client, config.containers.input, 'joined.jpg', fixture(PHOTO));
    const answers: unknown[] = [];
    for (const delivery of [event, structuredClone(event)]) {
      answers.push(await handler(delivery, invocation()).catch((error: unknown) => error));
    }
    for (const answer of answers) {
      expect(answer).to.include({ code: 'INSTANCE_BUSY', permanent: false });
    }
    expect(deps.runs.size, 'one run, still held, after both answers').to.equal(1);
    open();
    while (deps.runs.size > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await results()).metadata).to.deep.equal(['joined.jpg.json']);
    expect(await handler(event, invocation())).to.include({
      status: 'skipped',
      reason: 'duplicate',
    });
  });

  it('discards a malformed event without retry, logging why', async () => {
    const logs: string[] = [];
    const outcome = await handle({ hello: 'world' }, invocation(logs));
    expect(outcome).to.include({ status: 'failed', errorCode: 'EVENT_INVALID' });
    expect(logs.some((line) => line.startsWith('error:'))).to.equal(true);
  });
});
