/**
 * The local runtime (`npm start`) accepts the same telemetry settings as the function app:
 * with a connection string it exports every image's request, logs and metrics (here to the
 * loopback ingestion endpoint), then exits on its own.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { SAMPLES } from '../../../functions/local/samples.js';
import { loopbackConnectionString, startIngestion, type IngestionServer } from './ingestion.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');

describe('local runtime telemetry (npm start --once, child process)', function () {
  this.timeout(240_000);
  let server: IngestionServer;

  before(async () => {
    server = await startIngestion();
  });
  after(async () => {
    await server?.close();
  });

  it('exports one request per sample image, their logs and the image counter, then exits 0', async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      APPLICATIONINSIGHTS_CONNECTION_STRING: loopbackConnectionString(
        server,
        '00000000-0000-4000-8000-00000000010c',
      ),
      NODE_EXTRA_CA_CERTS: server.caFile,
      APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL: 'true',
    };
    for (const key of Object.keys(env)) {
      if (key.startsWith('IMAGES_STORAGE') || key.startsWith('AzureWebJobsStorage'))
        delete env[key];
    }
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'functions/local/main.ts', '--once', '--in-memory', '--port', '0'],
      { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code, output).to.equal(0);

    const requests = server.envelopes.filter(
      (e) => e.data.baseType === 'RequestData' && e.data.baseData.name === 'process image',
    );
    const names = requests.map((e) => e.data.baseData.properties?.['serverless_img.input.name']);
    expect(names).to.have.members(SAMPLES.map((sample) => sample.blob));
    for (const request of requests) {
      expect(request.data.baseData.properties?.['serverless_img.outcome']).to.be.oneOf([
        'succeeded',
        'failed',
      ]);
    }
    const operations = new Set(requests.map((e) => e.tags?.['ai.operation.id']));
    const logs = server.envelopes.filter((e) => e.data.baseType === 'MessageData');
    expect(logs.length).to.be.at.least(SAMPLES.length);
    expect(logs.every((e) => operations.has(e.tags?.['ai.operation.id']))).to.equal(true);

    const counted = server.envelopes
      .filter((e) => e.data.baseType === 'MetricData')
      .flatMap((e) => (e.data.baseData.metrics ?? []) as { name: string; value: number }[])
      .filter((m) => m.name === 'serverless_img.images')
      .reduce((sum, m) => sum + m.value, 0);
    expect(counted).to.equal(SAMPLES.length);
  });
});
