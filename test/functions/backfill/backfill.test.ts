/**
 * `serverless-img backfill` end to end, against a real Azurite and real HTTP: `npm start --
 * --no-watch --events-webhook` in a child process (its local backfill topic at /api/events,
 * its completion events to a receiver on loopback), and the command itself in this process
 * (`backfillMain`, what the installed bin runs), publishing with `EventGridPublisherClient`
 * over http. Event Grid's cloud side (a custom topic with Entra ID auth) cannot run here.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { expect } from 'chai';
import type { CompletionEvent } from '../../../functions/completion-events.js';
import { useAzurite } from '../../helpers/azurite.js';
import { Receiver } from '../../helpers/webhook-receiver.js';
import { createContainers, fixture, testConfig } from '../support.js';
import { backfill, settingsOf } from './support.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');

const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
(addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
const schema = (type: string) =>
  ajv.compile(
    JSON.parse(
      readFileSync(new URL(`../../../schemas/events/${type}.schema.json`, import.meta.url), 'utf8'),
    ),
  );
const validators: Record<string, ReturnType<typeof schema>> = {
  'ServerlessImg.ImageProcessed': schema('ServerlessImg.ImageProcessed'),
  'ServerlessImg.ImageFailed': schema('ServerlessImg.ImageFailed'),
};

/** `npm start -- --no-watch --events-webhook <webhook>` as a child, until `stop()`. */
async function npmStart(
  settings: Record<string, string>,
  webhook: string,
): Promise<{ url: string; output: () => string; stop: () => Promise<void> }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(IMAGES_STORAGE|AzureWebJobsStorage|APPLICATIONINSIGHTS_|OTEL_|IMG_)/.test(key)) {
      delete env[key];
    }
  }
  const args = ['--import', 'tsx', 'functions/local/main.ts', '--no-watch', '--no-samples'];
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    [...args, '--http-port', '0', '--events-webhook', webhook],
    { cwd: ROOT, env: { ...env, ...settings } },
  );
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Functions host on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1] !== undefined && output.includes('Watching')) resolve(match[1]);
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('exit', (code) => reject(new Error(`npm start exited ${code}:\n${output}`)));
  });
  return {
    url,
    output: () => output,
    async stop() {
      const exited = once(child, 'exit');
      child.kill('SIGINT');
      await exited;
    },
  };
}

/** Resolves once `receiver` holds `count` events (the mocha timeout bounds the wait). */
async function received(receiver: Receiver, count: number): Promise<CompletionEvent[]> {
  while (receiver.events.length < count) await new Promise((resolve) => setTimeout(resolve, 50));
  return receiver.events;
}

describe('serverless-img backfill against npm start --no-watch (child process, Azurite, webhook)', function () {
  this.timeout(180_000);
  const azurite = useAzurite();
  let receiver: Receiver;
  let webhook: string;

  beforeEach(async () => {
    receiver = new Receiver();
    webhook = await receiver.start();
  });
  afterEach(() => receiver.stop());

  it('processes ten blobs already in input: nine ImageProcessed and one ImageFailed with their fields', async () => {
    const config = testConfig(azurite.connectionString, 'bf-ten');
    const client = azurite.serviceClient;
    await createContainers(client, config);
    const input = client.getContainerClient(config.containers.input);
    const names = Array.from({ length: 9 }, (_, i) => `photos/${i}.jpg`);
    for (const name of names)
      await input.getBlockBlobClient(name).uploadData(fixture('jpeg/gray.jpg'));
    await input.getBlockBlobClient('photos/broken.jpg').uploadData(fixture('bad/truncated.jpg'));
    const settings = settingsOf(config, azurite.connectionString);
    const host = await npmStart(settings, webhook);
    try {
      const run = await backfill(
        [
          '--connection-string',
          azurite.connectionString,
          '--topic-endpoint',
          `${host.url}/api/events`,
          '--json',
        ],
        settings,
      );
      expect(run.code, run.stderr).to.equal(0);
      const summary = run.summary();
      expect(summary).to.include({ selection: 'missing', listed: 10, selected: 10, sent: 10 });
      expect(summary.names).to.deep.equal([...names, 'photos/broken.jpg'].sort());

      const events = await received(receiver, 10);
      const processed = events.filter((e) => e.type === 'ServerlessImg.ImageProcessed');
      const failed = events.filter((e) => e.type === 'ServerlessImg.ImageFailed');
      expect(processed.map((e) => e.subject).sort()).to.deep.equal(names);
      expect(failed.map((e) => e.subject)).to.deep.equal(['photos/broken.jpg']);
      expect(failed[0]?.data).to.include({ errorCode: 'CORRUPT_IMAGE', name: 'photos/broken.jpg' });
      for (const event of events) {
        const validate = validators[event.type]!;
        expect(validate(event), JSON.stringify(validate.errors)).to.equal(true);
        expect(event.data).to.have.property('metadataUrl').that.is.a('string');
      }
      expect(processed[0]?.data).to.have.property('renditions').with.length(2);
    } finally {
      await host.stop();
    }
  });
});
