/**
 * Fault injection against a real Azurite, with the real handler and the local deliverer (the
 * stand-in for Event Grid: retries with back-off, then dead-letter). Storage sits behind a
 * loopback proxy (functions/local/load/proxy.ts) that injects faults and counts the writes
 * storage accepted. After each scenario the containers are checked against the promises
 * (test/reliability/promises.ts): nothing lost, results only from the current version of each
 * source, complete sets only, and (counted at the proxy) no result written twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { expect } from 'chai';
import type { Config } from '../../functions/config.js';
import { unquoteETag } from '../../functions/events.js';
import { DEFAULT_RESOURCE_SETTINGS } from '../../functions/config.js';
import { ImageRunner } from '../../functions/limits/index.js';
import {
  azuriteConnectionString,
  startAzurite,
  type RunningAzurite,
} from '../../functions/local/azurite.js';
import {
  everyNth,
  startFaultProxy,
  type FaultProxy,
  type FaultRule,
  type ProxiedRequest,
} from '../../functions/local/load/proxy.js';
import { createLocalPipeline, type LocalPipeline } from '../../functions/local/pipeline.js';
import type { Outcome } from '../../functions/process-blob.js';
import { createBlobServiceClient } from '../../functions/storage.js';
import {
  createContainers,
  fixture,
  invocation,
  testConfig,
  testHandler,
  upload,
} from '../functions/support.js';
import { FIXTURES } from '../fixtures.js';
import { account } from './promises.js';

/** A batch of good and bad inputs: every fixture but the 12 MP photo, named by the index. */
const BATCH = FIXTURES.filter((f) => f.name !== 'size/large-photo.jpg').map((f) => f.name);
const EXPECTED_FAILURES = FIXTURES.flatMap((f) => (f.errorCode ? [f.errorCode] : [])).sort();
const LARGE = 'size/large-photo.jpg';

/** Fast Event Grid: the same behaviour, in milliseconds instead of minutes. */
const RETRY = { maxAttempts: 10, initialDelayMs: 100, maxDelayMs: 1_500 };

const isResultWrite = (config: Config) => (r: ProxiedRequest) =>
  r.operation === 'upload' &&
  [config.containers.output, config.containers.thumbnails, config.containers.metadata].includes(
    r.container ?? '',
  );
const isInputDownload = (config: Config) => (r: ProxiedRequest) =>
  r.operation === 'download' && r.container === config.containers.input;

/** Combines rules: the first that injects a fault wins. */
const anyOf =
  (...rules: FaultRule[]): FaultRule =>
  (request) => {
    for (const rule of rules) {
      const fault = rule(request);
      if (fault !== undefined) return fault;
    }
    return undefined;
  };

describe('reliability: faults, races and outages against Azurite', function () {
  this.timeout(120_000);
  let dataDir: string;
  let azurite: RunningAzurite;
  let proxy: FaultProxy;
  /** Talks to Azurite directly: the test's own hands, never faulted. */
  let direct: BlobServiceClient;
  let runner: ImageRunner;
  let config: Config;
  let pipeline: LocalPipeline | undefined;
  let scenario = 0;
  let deliveries: string[] = [];

  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'serverless-img-azurite-'));
    azurite = await startAzurite({ inMemory: false, location: dataDir });
    proxy = await startFaultProxy(azurite.port);
    direct = BlobServiceClient.fromConnectionString(azurite.connectionString);
    runner = new ImageRunner(DEFAULT_RESOURCE_SETTINGS);
  });

  after(async () => {
    await runner?.close();
    await proxy?.close();
    await azurite?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    scenario += 1;
    proxy.setRule(undefined);
    proxy.onResponse = undefined;
    proxy.writes.clear();
    proxy.injected.clear();
    deliveries = [];
    config = testConfig(azuriteConnectionString(proxy.port), `r${scenario}`);
    await createContainers(direct, config);
  });

  afterEach(async () => {
    await pipeline?.stop();
    pipeline = undefined;
  });

  /** The pipeline under test: real handler and deliverer, storage through the proxy. */
  function startPipeline(
    retries: { count: number } = { count: 0 },
    retry: Partial<typeof RETRY> = {},
    images: ImageRunner = runner,
  ): LocalPipeline {
    const serviceClient = createBlobServiceClient(config.storage);
    pipeline = createLocalPipeline({
      config,
      serviceClient,
      handler: testHandler(config, serviceClient, images),
      pollIntervalMs: 100,
      retry: { ...RETRY, ...retry },
      deadLetterRetry: { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 400 },
      onResult: (r) => deliveries.push(`${r.name} ${r.kind} ${r.outcome?.status ?? 'dead'}`),
      onRetry: () => {
        retries.count += 1;
      },
    });
    pipeline.start();
    return pipeline;
  }

  async function uploadBatch(prefix: string, names = BATCH): Promise<void> {
    for (const name of names) {
      const contentType = name.endsWith('.png') ? 'image/png' : 'image/jpeg';
      await upload(
        direct,
        config.containers.input,
        `${prefix}/${name}`,
        fixture(name),
        contentType,
      );
    }
  }

  /** Waits until every input blob is accounted for (or the deadline passes), then checks. */
  async function settle(client = direct, timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await pipeline?.scan().catch(() => undefined);
      await pipeline?.idle();
      const result = await account(client, config);
      if (result.violations.length === 0 || Date.now() > deadline) return result;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /**
   * Result blobs storage accepted more than once (a duplicate effect). Claims are not results:
   * each run creates its name's claim blob anew.
   */
  const rewrites = () =>
    [...proxy.writes].filter(
      ([blob, count]) => count > 1 && !blob.startsWith(`${config.containers.claims}/`),
    );

  it('loses nothing when storage stops and restarts on the same data in the middle of a batch', async () => {
    await uploadBatch('outage');
    await uploadBatch('outage-2');
    const retries = { count: 0 };
    let metadataWrites = 0;
    proxy.onResponse = (r) => {
      if (r.operation === 'upload' && r.container === config.containers.metadata) {
        metadataWrites += 1;
      }
    };
    startPipeline(retries);
    while (metadataWrites < 4) await new Promise((resolve) => setTimeout(resolve, 20));
    // SIGTERM: Azurite flushes what it acknowledged, as real storage keeps committed writes
    // (SIGKILL would lose up to 5 s of acknowledged writes in Azurite's LokiJS store).
    await azurite.stop();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    azurite = await startAzurite({ inMemory: false, location: dataDir });
    proxy.setTarget(azurite.port);
    direct = BlobServiceClient.fromConnectionString(azurite.connectionString);

    const result = await settle();
    expect(result.violations).to.deep.equal([]);
    expect(result.succeeded.length + result.failed.size + result.deadLettered.length).to.equal(
      BATCH.length * 2,
    );
    expect(retries.count, 'the outage hit deliveries in flight').to.be.greaterThan(0);
    expect(rewrites()).to.deep.equal([]);
  });

  it('keeps every promise under 5xx, 429, reset connections and lost responses on downloads and uploads', async () => {
    await uploadBatch('transient');
    const retries = { count: 0 };
    proxy.setRule(
      anyOf(
        everyNth(3, '503', isInputDownload(config)),
        everyNth(5, '429', isInputDownload(config)),
        everyNth(7, 'reset', isInputDownload(config)),
        everyNth(4, 'lost-response', isResultWrite(config)),
        everyNth(5, '500', isResultWrite(config)),
        everyNth(6, '429', isResultWrite(config)),
      ),
    );
    startPipeline(retries);
    const result = await settle();
    proxy.setRule(undefined);
    expect(result.violations).to.deep.equal([]);
    expect(result.deadLettered).to.deep.equal([]);
    expect(result.succeeded).to.have.length(BATCH.length - EXPECTED_FAILURES.length);
    expect([...result.failed.values()].sort()).to.deep.equal(EXPECTED_FAILURES);
    for (const fault of ['503 download', '429 download', 'lost-response upload', '500 upload']) {
      expect(proxy.injected.get(fault), fault).to.be.greaterThan(0);
    }
    expect(retries.count).to.be.greaterThan(0);
    expect(rewrites()).to.deep.equal([]);
  });

  it('dead-letters, never drops, an event whose deliveries keep failing', async () => {
    await uploadBatch('doomed', ['png/alpha.png', 'jpeg/gray.jpg']);
    proxy.setRule((r) =>
      isInputDownload(config)(r) && r.blob === 'doomed/png/alpha.png' ? '503' : undefined,
    );
    startPipeline(undefined, { maxAttempts: 4, maxDelayMs: 400 });
    const result = await settle();
    expect(result.violations).to.deep.equal([]);
    expect(result.deadLettered).to.deep.equal(['doomed/png/alpha.png']);
    expect(result.succeeded).to.deep.equal(['doomed/jpeg/gray.jpg']);
  });

  it('keeps, never drops, an event whose dead-letter record cannot be written, until storage takes it', async () => {
    await uploadBatch('undead', ['png/alpha.png', 'jpeg/gray.jpg']);
    let deadLetterStorageUp = false;
    proxy.setRule((r) =>
      (isInputDownload(config)(r) && r.blob === 'undead/png/alpha.png') ||
      (!deadLetterStorageUp &&
        r.operation === 'upload' &&
        r.container === config.containers.deadletter)
        ? '503'
        : undefined,
    );
    const running = startPipeline(undefined, { maxAttempts: 3, maxDelayMs: 400 });
    while (running.pendingDeadLetters().length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(running.pendingDeadLetters().map((r) => r.name)).to.deep.equal(['undead/png/alpha.png']);
    expect(deliveries).to.not.include('undead/png/alpha.png created dead');
    deadLetterStorageUp = true;
    const result = await settle();
    expect(result.violations).to.deep.equal([]);
    expect(result.deadLettered).to.deep.equal(['undead/png/alpha.png']);
    expect(result.succeeded).to.deep.equal(['undead/jpeg/gray.jpg']);
    expect(running.pendingDeadLetters()).to.deep.equal([]);
    expect(proxy.injected.get('503 upload')).to.be.greaterThan(0);
  });

  it('applies duplicate and reordered events once, ending on the newest version', async () => {
    const handler = testHandler(config, createBlobServiceClient(config.storage), runner);
    const input = config.containers.input;
    const v1 = await upload(direct, input, 'dup/photo.jpg', fixture('size/panorama.jpg'));
    const v2 = await upload(direct, input, 'dup/photo.jpg', fixture('size/tall.jpg'));
    // At least once, in any order, in a burst: the old event arrives after, around and
    // alongside the new one, and each of them twice.
    const outcomes: Outcome[] = await Promise.all(
      [v2, v1, v2, v1, v2].map((event) => handler(event, invocation())),
    );
    outcomes.push(await handler(v1, invocation()), await handler(v2, invocation()));
    const result = await account(direct, config);
    expect(result.violations).to.deep.equal([]);
    expect(result.succeeded).to.deep.equal(['dup/photo.jpg']);
    const statuses = outcomes.map((o) => o.status);
    expect(statuses.filter((s) => s === 'succeeded').length).to.be.at.least(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'succeeded') {
        expect(unquoteETag(outcome.eTag ?? '')).to.equal(unquoteETag(String(v2.data.eTag)));
      }
    }
    expect(rewrites()).to.deep.equal([]);
  });

  it('ends on the new version when a blob is overwritten while its old version is processed', async () => {
    const name = 'race/overwritten.jpg';
    let overwritten = false;
    proxy.onResponse = (r) => {
      if (!overwritten && isInputDownload(config)(r) && r.blob === name) {
        overwritten = true;
        void upload(direct, config.containers.input, name, fixture('size/tall.jpg'));
      }
    };
    // The old version is a 12 MP photo (slow), the new one a small image (fast).
    await upload(direct, config.containers.input, name, fixture(LARGE));
    startPipeline();
    const result = await settle();
    expect(overwritten).to.equal(true);
    expect(result.violations).to.deep.equal([]);
    expect(result.succeeded).to.deep.equal([name]);
    // Both versions were delivered: the race happened, and the old one lost it.
    expect(deliveries.filter((d) => d.startsWith(`${name} created`))).to.have.length(2);
  });

  it('leaves no results behind when a blob is deleted while it is processed', async () => {
    const name = 'race/deleted.jpg';
    let deleted = false;
    let deletion: Promise<unknown> | undefined;
    proxy.onResponse = (r) => {
      if (!deleted && isInputDownload(config)(r) && r.blob === name) {
        deleted = true;
        deletion = direct.getContainerClient(config.containers.input).deleteBlob(name);
      }
    };
    await upload(direct, config.containers.input, name, fixture(LARGE));
    await upload(direct, config.containers.input, 'race/kept.jpg', fixture('jpeg/gray.jpg'));
    startPipeline();
    // Settle only once the delete is done: a scan that ran before it would miss the BlobDeleted.
    while (deletion === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
    await deletion;
    const result = await settle();
    expect(deleted).to.equal(true);
    expect(result.violations).to.deep.equal([]);
    expect(result.succeeded).to.deep.equal(['race/kept.jpg']);
    expect(deliveries).to.include.members([`${name} deleted deleted`]);
    expect(deliveries.filter((d) => d.startsWith(`${name} created`))).to.have.length(1);
  });

  it('gives hostile names, wrong types and empty blobs a result or a typed failure, never a crash', async () => {
    const photo = fixture('jpeg/gray.jpg');
    const png = fixture('png/alpha.png');
    const inputs: [string, Uint8Array, string][] = [
      ['names/with spaces/and  double  spaces.jpg', photo, 'image/jpeg'],
      ['names/ünïcødé/写真 📷.jpg', photo, 'image/jpeg'],
      ['names/a/../dots..jpg', photo, 'image/jpeg'],
      ['names/..hidden/.jpg', photo, 'image/jpeg'],
      [`names/${'deep/'.repeat(60)}${'x'.repeat(200)}.jpg`, photo, 'image/jpeg'],
      ['names/png-named.jpg', png, 'text/plain'],
      ['names/jpeg-named.gif', photo, 'application/octet-stream'],
      ['names/zero.jpg', new Uint8Array(0), 'image/jpeg'],
      ['names/no-extension', photo, ''],
      ['names/%2e%2e%2fencoded.jpg', photo, 'image/jpeg'],
      [`names/${'y'.repeat(1010)}.jpg`, photo, 'image/jpeg'],
    ];
    for (const [name, bytes, type] of inputs) {
      await upload(direct, config.containers.input, name, bytes, type);
    }
    startPipeline();
    const result = await settle();
    expect(result.violations).to.deep.equal([]);
    expect(result.deadLettered).to.deep.equal([]);
    // 1,020 characters: Azurite would take `<name>.json`, Azure would not (over 1,024).
    expect(Object.fromEntries(result.failed)).to.deep.equal({
      'names/zero.jpg': 'EMPTY_INPUT',
      [`names/${'y'.repeat(1010)}.jpg`]: 'NAME_TOO_LONG',
    });
    expect(result.succeeded).to.have.length(inputs.length - 2);
  });

  it('retries an image that overran the time limit once, then records TIMEOUT', async () => {
    // A runner with a 50 ms limit: a 12 MP decode takes 100 ms or more even on a quiet machine,
    // while an empty input fails in well under a millisecond. (10 ms, as first written, let the
    // empty input overrun too while the other worker decoded on a loaded 2-core machine.)
    const slow = new ImageRunner({ concurrency: 2, memoryBudgetMb: 1024, timeoutMs: 50 });
    try {
      await upload(direct, config.containers.input, 'slow/photo.jpg', fixture(LARGE));
      await upload(direct, config.containers.input, 'slow/empty.jpg', new Uint8Array(0));
      const retries = { count: 0 };
      startPipeline(retries, {}, slow);
      const result = await settle();
      expect(result.violations).to.deep.equal([]);
      expect(Object.fromEntries(result.failed)).to.deep.equal({
        'slow/photo.jpg': 'TIMEOUT',
        'slow/empty.jpg': 'EMPTY_INPUT',
      });
      expect(retries.count, 'one retry, for the timeout').to.equal(1);
    } finally {
      await pipeline?.stop();
      pipeline = undefined;
      await slow.close();
    }
  });
});
