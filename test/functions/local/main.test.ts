/**
 * `npm start -- --once` (functions/local/main.ts) as a child process, its storage behind the
 * fault proxy: the exit code accounts for an event whose dead-letter record could not be
 * written, rather than losing it silently.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { expect } from 'chai';
import { azuriteConnectionString } from '../../../functions/local/azurite.js';
import { startFaultProxy, type FaultProxy } from '../../../functions/local/load/proxy.js';
import type { Config } from '../../../functions/config.js';
import { useAzurite } from '../../helpers/azurite.js';
import { Receiver } from '../../helpers/webhook-receiver.js';
import { createContainers, fixture, list, testConfig } from '../support.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');

describe('npm start --once exit accounting (child process, storage behind the fault proxy)', function () {
  this.timeout(120_000);
  const azurite = useAzurite();
  let proxy: FaultProxy;

  before(async () => {
    proxy = await startFaultProxy(azurite.port);
  });
  after(async () => {
    await proxy?.close();
  });

  it('exits 1 and names the event whose dead-letter record could not be written', async () => {
    const config = testConfig(azurite.connectionString, 'once');
    const client = azurite.serviceClient;
    await createContainers(client, config);
    const input = client.getContainerClient(config.containers.input);
    for (const name of ['doomed.jpg', 'good.jpg']) {
      await input.getBlockBlobClient(name).uploadData(fixture('jpeg/gray.jpg'));
    }
    // Every delivery of doomed.jpg fails (503 on its download), and so does every dead-letter write.
    proxy.setRule((r) =>
      (r.operation === 'download' && r.blob === 'doomed.jpg') ||
      (r.operation === 'upload' && r.container === config.containers.deadletter)
        ? '503'
        : undefined,
    );
    const env = childEnv(config, azuriteConnectionString(proxy.port));
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'functions/local/main.ts',
        '--once',
        '--no-samples',
        // Event Grid's schedule at a thousandth (10 ms, 30 ms, …), five attempts.
        '--max-attempts',
        '5',
      ],
      { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code, output).to.equal(1);
    expect(output).to.match(/✗ doomed\.jpg {2}undeliverable after 5 attempts, kept in memory/);
    expect(output).to.include(
      '1 with results, 0 with a failure record, 0 dead-lettered, 1 unprocessed.',
    );
    expect(output).to.include('1 not dead-lettered: the record could not be written.');
    expect(output).to.match(/ {2}not dead-lettered: doomed\.jpg: /);
    expect(proxy.injected.get('503 upload')).to.be.greaterThan(0);
    expect(await list(client, config.containers.deadletter)).to.deep.equal([]);
  });

  it('delivers the completion events to --events-webhook: ImageProcessed and ImageFailed with their fields', async () => {
    const receiver = new Receiver();
    const webhook = await receiver.start();
    try {
      const config = testConfig(azurite.connectionString, 'hook');
      const client = azurite.serviceClient;
      await createContainers(client, config);
      const input = client.getContainerClient(config.containers.input);
      await input.getBlockBlobClient('good.jpg').uploadData(fixture('jpeg/gray.jpg'));
      await input.getBlockBlobClient('bad.jpg').uploadData(fixture('bad/truncated.jpg'));
      proxy.setRule(undefined);
      const env = childEnv(config, azuriteConnectionString(proxy.port));
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          'functions/local/main.ts',
          '--once',
          '--no-samples',
          '--events-webhook',
          webhook,
        ],
        { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code, output).to.equal(0);
      const byName = new Map(receiver.events.map((event) => [event.subject, event]));
      expect(receiver.events).to.have.length(2);
      expect(byName.get('good.jpg')?.type).to.equal('ServerlessImg.ImageProcessed');
      expect(byName.get('good.jpg')?.data).to.have.property('renditions').with.length(2);
      expect(byName.get('bad.jpg')?.type).to.equal('ServerlessImg.ImageFailed');
      expect(byName.get('bad.jpg')?.data).to.include({ errorCode: 'CORRUPT_IMAGE' });
    } finally {
      await receiver.stop();
    }
  });
});

/** The environment of a child `npm start`: no inherited settings but these containers' and storage. */
function childEnv(config: Config, connectionString: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(IMAGES_STORAGE|AzureWebJobsStorage|APPLICATIONINSIGHTS_|OTEL_|IMG_)/.test(key)) {
      delete env[key];
    }
  }
  return Object.assign(env, {
    IMAGES_STORAGE: connectionString,
    IMG_INPUT_CONTAINER: config.containers.input,
    IMG_OUTPUT_CONTAINER: config.containers.output,
    IMG_THUMBNAIL_CONTAINER: config.containers.thumbnails,
    IMG_METADATA_CONTAINER: config.containers.metadata,
    IMG_DEADLETTER_CONTAINER: config.containers.deadletter,
  });
}
