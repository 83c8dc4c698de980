import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import {
  loopbackConnectionString,
  startIngestion,
  type Envelope,
  type IngestionServer,
} from './ingestion.js';

const CHILD = fileURLToPath(new URL('./export-child.ts', import.meta.url));
const INSTRUMENTATION_KEY = '00000000-0000-4000-8000-0000000000e2';

/** Runs the child with telemetry pointed at the loopback ingestion endpoint. */
async function runChild(
  server: IngestionServer,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: {
      ...process.env,
      ...env,
      APPLICATIONINSIGHTS_CONNECTION_STRING: loopbackConnectionString(server, INSTRUMENTATION_KEY),
      // The child trusts the throw-away certificate; nothing else changes.
      NODE_EXTRA_CA_CERTS: server.caFile,
      // Statsbeat reports to Microsoft's own endpoint, which is not reachable here.
      APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL: 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output };
}

function ofType(envelopes: Envelope[], baseType: string): Envelope[] {
  return envelopes.filter((e) => e.data.baseType === baseType);
}

function metricNames(envelopes: Envelope[]): string[] {
  return ofType(envelopes, 'MetricData').flatMap((e) =>
    ((e.data.baseData.metrics ?? []) as { name: string }[]).map((m) => m.name),
  );
}

describe('telemetry export through the real Azure Monitor exporter (loopback ingestion)', () => {
  let server: IngestionServer;

  before(async () => {
    server = await startIngestion();
  });
  after(async () => {
    await server?.close();
  });

  it('delivers our span as a request, its child as a dependency, the log line and the metrics', async () => {
    const { code, output } = await runChild(server, { TELEMETRY_SCENARIO: 'own-spans' });
    expect(code, output).to.equal(0);
    expect(server.paths).to.include('/v2.1/track');
    expect(server.envelopes.every((e) => e.iKey === INSTRUMENTATION_KEY)).to.equal(true);

    const [request] = ofType(server.envelopes, 'RequestData');
    expect(request?.data.baseData.name).to.equal('process image');
    expect(request?.data.baseData.properties).to.include({ 'serverless_img.format': 'jpeg' });
    expect(request?.tags?.['ai.cloud.role']).to.equal('serverless-img');
    const operationId = request?.tags?.['ai.operation.id'];
    expect(operationId).to.match(/^[0-9a-f]{32}$/);

    const [dependency] = ofType(server.envelopes, 'RemoteDependencyData');
    expect(dependency?.data.baseData.name).to.equal('download');
    expect(dependency?.tags?.['ai.operation.id']).to.equal(operationId);
    expect(dependency?.tags?.['ai.operation.parentId']).to.equal(request?.data.baseData.id);

    const [message] = ofType(server.envelopes, 'MessageData');
    expect(message?.data.baseData.message).to.equal('processed photo.jpg');
    expect(message?.tags?.['ai.operation.id']).to.equal(operationId);

    expect(metricNames(server.envelopes)).to.include.members([
      'serverless_img.images',
      'serverless_img.duration',
      'serverless_img.bytes.read',
      'serverless_img.bytes.written',
    ]);
  });
});
