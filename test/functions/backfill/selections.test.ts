/**
 * The selections of `serverless-img backfill` (--outdated after a settings change, --dead-lettered,
 * --failed, --from, an interrupted run) and its refusals (exit 2, a topic that answers 403),
 * against a real Azurite and the local runtime in this process: its host's backfill topic at
 * /api/events over real HTTP, no events raised but the ones published there (`npm start --
 * --no-watch`). A 403 comes from a stand-in on loopback: Entra ID and a real Azure topic cannot
 * run here.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { createApp } from '../../../functions/app.js';
import { currentFingerprint } from '../../../functions/backfill-event.js';
import type { Config } from '../../../functions/config.js';
import { deadLetterPath, deadLetterRecord } from '../../../functions/local/dead-letter.js';
import { startLocalRuntime, type LocalRuntime } from '../../../functions/local/runtime.js';
import type { SuccessRecord } from '../../../lib/types.js';
import { useAzurite } from '../../helpers/azurite.js';
import {
  createContainers,
  fixture,
  list,
  properties,
  readJson,
  testConfig,
  upload,
  useImageRunner,
} from '../support.js';
import { backfill, settingsOf } from './support.js';

describe('serverless-img backfill selections (local runtime in this process, Azurite)', function () {
  this.timeout(120_000);
  const azurite = useAzurite();
  const images = useImageRunner();
  let runtime: LocalRuntime | undefined;
  let suite = 0;

  afterEach(async () => {
    await runtime?.stop();
    runtime = undefined;
  });

  /** The runtime for `config` (no events raised: only what the topic takes), and its topic. */
  async function start(config: Config): Promise<string> {
    await runtime?.stop();
    const client = azurite.serviceClient;
    runtime = await startLocalRuntime({
      config,
      serviceClient: client,
      app: createApp(config, { serviceClient: client, runner: images.runner }),
      httpPort: 0,
      pollMs: 1_000,
      delivery: { responseWindowMs: 30_000, scheduleScale: 0.001, maxAttempts: 3 },
    });
    return `${runtime.host.url}/api/events`;
  }

  function fresh(env: Record<string, string> = {}): {
    config: Config;
    settings: Record<string, string>;
  } {
    suite += 1;
    const config = testConfig(azurite.connectionString, `bfs${suite}`, env);
    return { config, settings: settingsOf(config, azurite.connectionString, env) };
  }

  async function put(config: Config, name: string, file = 'jpeg/camera-exif-gps.jpg') {
    const input = azurite.serviceClient.getContainerClient(config.containers.input);
    await input.getBlockBlobClient(name).uploadData(fixture(file));
  }

  async function metadataETags(config: Config, names: string[]): Promise<string[]> {
    const client = azurite.serviceClient;
    const etags = names.map(async (name) => {
      const props = await properties(client, config.containers.metadata, `${name}.json`);
      return props?.etag ?? '(none)';
    });
    return Promise.all(etags);
  }

  it('--outdated remakes exactly the results made under the old IMG_MAX_WIDTH, and --dry-run lists them first', async () => {
    const old = fresh();
    await createContainers(azurite.serviceClient, old.config);
    for (const name of ['a.jpg', 'b.jpg', 'c.jpg']) await put(old.config, name);
    let topic = await start(old.config);
    const first = await backfill(['--topic-endpoint', topic, '--json'], old.settings);
    expect(first.summary()).to.include({ sent: 3 });
    await runtime!.idle();

    // Restarted with a new width: two new uploads are made under it.
    const settings = { ...old.settings, IMG_MAX_WIDTH: '400' };
    const config = testConfig(azurite.connectionString, `bfs${suite}`, { IMG_MAX_WIDTH: '400' });
    for (const name of ['d.jpg', 'e.jpg']) await put(config, name);
    topic = await start(config);
    const second = await backfill(['--topic-endpoint', topic, '--json'], settings);
    expect(second.summary().names).to.deep.equal(['d.jpg', 'e.jpg']);
    await runtime!.idle();
    const all = ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg', 'e.jpg'];
    const before = await metadataETags(config, all);

    const dry = await backfill(['--outdated', '--dry-run', '--json'], settings);
    expect(dry.code, dry.stderr).to.equal(0);
    expect(dry.summary()).to.deep.include({
      selection: 'outdated',
      dryRun: true,
      listed: 5,
      selected: 3,
      sent: 0,
      names: ['a.jpg', 'b.jpg', 'c.jpg'],
    });
    expect(await metadataETags(config, all)).to.deep.equal(before);

    const run = await backfill(['--outdated', '--topic-endpoint', topic, '--json'], settings);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.summary()).to.include({ selected: 3, sent: 3 });
    await runtime!.idle();
    const after = await metadataETags(config, all);
    for (const i of [0, 1, 2]) expect(after[i], all[i]).to.not.equal(before[i]);
    expect(after.slice(3)).to.deep.equal(before.slice(3));
    const remade = await readJson<SuccessRecord>(
      azurite.serviceClient,
      config.containers.metadata,
      'a.jpg.json',
    );
    expect(remade.settings.fingerprint).to.equal(currentFingerprint(config.image));
    expect(remade.settings.renditions[0]?.width).to.equal(400);
    expect(remade.renditions[0]?.width).to.be.at.most(400);

    const again = await backfill(['--outdated', '--dry-run', '--json'], settings);
    expect(again.summary()).to.include({ selected: 0 });
  });

  it('--dead-lettered replays a dead-lettered BlobCreated and removes its record once processed', async () => {
    const { config, settings } = fresh();
    const client = azurite.serviceClient;
    await createContainers(client, config);
    const event = await upload(
      client,
      config.containers.input,
      'late.jpg',
      fixture('jpeg/gray.jpg'),
    );
    const path = deadLetterPath(new Date());
    const failure = {
      reason: 'MaxDeliveryAttemptsExceeded',
      message: 'HTTP 500',
      status: 500,
    } as const;
    const record = deadLetterRecord(
      { event, name: 'late.jpg', kind: 'created', attempts: 10 },
      failure,
      new Date(),
    );
    const deadletter = client.getContainerClient(config.containers.deadletter);
    await deadletter
      .getBlockBlobClient(path)
      .upload(JSON.stringify(record), JSON.stringify(record).length);
    await deadletter.getBlockBlobClient('junk.json').upload('not json', 8);
    const topic = await start(config);

    const run = await backfill(['--dead-lettered', '--topic-endpoint', topic, '--json'], settings);
    expect(run.code, run.stderr).to.equal(0);
    const summary = run.summary();
    expect(summary).to.include({ selection: 'dead-lettered', selected: 1, sent: 1 });
    expect(summary.deadLetters?.removed).to.deep.equal([path]);
    expect(summary.deadLetters?.unreplayed.map((r) => r.path)).to.deep.equal(['junk.json']);
    expect(await list(client, config.containers.deadletter)).to.deep.equal(['junk.json']);
    const made = await readJson<SuccessRecord>(client, config.containers.metadata, 'late.jpg.json');
    expect(made.status).to.equal('succeeded');
  });

  it('--failed selects the failure records, --failed CODE only those of that code', async () => {
    const { config, settings } = fresh();
    await createContainers(azurite.serviceClient, config);
    await put(config, 'ok.jpg', 'jpeg/gray.jpg');
    await put(config, 'broken.jpg', 'bad/truncated.jpg');
    await put(config, 'text.jpg', 'bad/not-an-image.jpg');
    const topic = await start(config);
    await backfill(['--topic-endpoint', topic, '--json'], settings);
    await runtime!.idle();
    const codes = await Promise.all(
      ['broken.jpg', 'text.jpg'].map(async (name) => {
        const record = await readJson<{ error: { code: string } }>(
          azurite.serviceClient,
          config.containers.metadata,
          `${name}.json`,
        );
        return record.error.code;
      }),
    );
    const all = await backfill(['--failed', '--dry-run', '--json'], settings);
    expect(all.summary().names).to.deep.equal(['broken.jpg', 'text.jpg']);
    const one = await backfill(['--failed', codes[0]!, '--dry-run', '--json'], settings);
    expect(one.summary().names).to.include('broken.jpg');
    expect(one.summary()).to.include({ selection: `failed:${codes[0]!}` });
  });

  it('resumes with --from, and an interrupted run says where to resume (exit 130)', async () => {
    const { config, settings } = fresh();
    await createContainers(azurite.serviceClient, config);
    for (const name of ['1.jpg', '2.jpg', '3.jpg']) await put(config, name, 'jpeg/gray.jpg');
    const topic = await start(config);
    const resumed = await backfill(['--from', '2.jpg', '--dry-run', '--json'], settings);
    expect(resumed.summary().names).to.deep.equal(['2.jpg', '3.jpg']);

    const interrupted = new AbortController();
    interrupted.abort();
    const run = await backfill(
      ['--topic-endpoint', topic, '--rate', '1'],
      settings,
      interrupted.signal,
    );
    expect(run.code).to.equal(130);
    expect(run.stderr).to.include('Interrupted').and.include('Resume with: --from "1.jpg"');
  });

  it('exits 2 naming the missing or bad flag or setting', async () => {
    const { config, settings } = fresh();
    const noStorage = await backfill(['--topic-endpoint', 'http://127.0.0.1:1/api/events'], {});
    expect(noStorage.code).to.equal(2);
    expect(noStorage.stderr).to.include('--account NAME').and.include('IMAGES_STORAGE');
    const noTopic = await backfill([], settings);
    expect(noTopic.code).to.equal(2);
    expect(noTopic.stderr)
      .to.include('--topic-endpoint')
      .and.include('IMG_BACKFILL_TOPIC_ENDPOINT');
    const plainHttp = await backfill(
      ['--topic-endpoint', 'http://example.com/api/events'],
      settings,
    );
    expect(plainHttp.code).to.equal(2);
    expect(plainHttp.stderr).to.include('--topic-endpoint');
    const twoModes = await backfill(['--outdated', '--dead-lettered'], settings);
    expect(twoModes.code).to.equal(2);
    expect(twoModes.stderr).to.include('--outdated and --dead-lettered');
    const badRate = await backfill(['--rate', '0', '--dry-run'], settings);
    expect(badRate.stderr).to.include('--rate');
    expect(config.containers.input).to.be.a('string');
  });

  it('stops at a topic that answers 403, naming the EventGrid Data Sender role (a stand-in: no Entra ID here)', async () => {
    const { config, settings } = fresh();
    await createContainers(azurite.serviceClient, config);
    await put(config, 'x.jpg', 'jpeg/gray.jpg');
    const refusing = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(403).end());
    });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    try {
      const port = (refusing.address() as AddressInfo).port;
      const endpoint = `http://127.0.0.1:${port}/api/events`;
      const run = await backfill(['--topic-endpoint', endpoint, '--json'], settings);
      expect(run.code).to.equal(1);
      const summary = run.summary();
      expect(summary).to.include({ sent: 0, resumeFrom: 'x.jpg' });
      expect(summary.error?.code).to.equal('TOPIC_FORBIDDEN');
      expect(summary.error?.message).to.include('EventGrid Data Sender');
    } finally {
      await new Promise((resolve) => refusing.close(resolve));
    }
  });
});
