/**
 * Host correlation, as far as it can be shown without the Functions host: the app runs in a
 * child that believes it is in the Node worker (a stand-in for `@azure/functions-core`, the one
 * part that cannot run here), announces the OpenTelemetry capability, and the invocation the
 * "host" starts with its own trace context becomes the parent of our `process image` request.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIXTURES_DIR } from '../../fixtures.js';
import { useAzurite } from '../../helpers/azurite.js';
import { upload } from '../support.js';
import { loopbackConnectionString, startIngestion, type IngestionServer } from './ingestion.js';

const CHILD = fileURLToPath(new URL('./host-child.ts', import.meta.url));

describe('host correlation (app in a stand-in Functions worker, real exporter)', () => {
  const azurite = useAzurite();
  let server: IngestionServer;

  before(async () => {
    server = await startIngestion();
    for (const name of ['input', 'output', 'thumbnails', 'metadata', 'deadletter', 'claims']) {
      await azurite.serviceClient.getContainerClient(name).create();
    }
  });
  after(async () => {
    await server?.close();
  });

  it('announces WorkerOpenTelemetryEnabled and parents our request on the host invocation span', async () => {
    const name = 'host/photo.jpg';
    const bytes = readFileSync(path.join(FIXTURES_DIR, 'jpeg/camera-exif-gps.jpg'));
    const event = await upload(azurite.serviceClient, 'input', name, bytes);
    const hostTraceId = randomBytes(16).toString('hex');
    const hostSpanId = randomBytes(8).toString('hex');

    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      env: {
        ...process.env,
        IMAGES_STORAGE: azurite.connectionString,
        TELEMETRY_EVENTS: JSON.stringify([event]),
        TELEMETRY_TRACEPARENT: `00-${hostTraceId}-${hostSpanId}-01`,
        APPLICATIONINSIGHTS_CONNECTION_STRING: loopbackConnectionString(
          server,
          '00000000-0000-4000-8000-0000000000c0',
        ),
        NODE_EXTRA_CA_CERTS: server.caFile,
        APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code, output).to.equal(0);

    // The worker capability that tells the host we export our own logs and traces.
    expect(output).to.contain('"WorkerOpenTelemetryEnabled":"true"');

    const request = server.envelopes.find(
      (e) => e.data.baseType === 'RequestData' && e.data.baseData.name === 'process image',
    );
    expect(request?.tags?.['ai.operation.id']).to.equal(hostTraceId);
    expect(request?.tags?.['ai.operation.parentId']).to.equal(hostSpanId);
    expect(request?.data.baseData.properties?.['faas.invocation_id']).to.equal('host-invocation-1');
    const steps = server.envelopes.filter(
      (e) =>
        e.data.baseType === 'RemoteDependencyData' && e.tags?.['ai.operation.id'] === hostTraceId,
    );
    expect(steps.map((e) => e.data.baseData.name)).to.include.members(['download', 'image.decode']);
  });
});
