/**
 * End to end through the real Azure Monitor exporter: the function app, in a child process,
 * processes real blobs on Azurite with APPLICATIONINSIGHTS_CONNECTION_STRING pointed at a
 * loopback https ingestion endpoint; the test reads the envelopes that arrive.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EventGridStorageEvent } from '../../../functions/local/events.js';
import { FIXTURES_DIR } from '../../fixtures.js';
import { useAzurite } from '../../helpers/azurite.js';
import { upload } from '../support.js';
import {
  IDENTITY,
  loopbackConnectionString,
  startIngestion,
  type Envelope,
  type IngestionServer,
} from './ingestion.js';

const CHILD = fileURLToPath(new URL('./export-child.ts', import.meta.url));
const INSTRUMENTATION_KEY = '00000000-0000-4000-8000-0000000000e2';
const CONTAINERS = ['input', 'output', 'thumbnails', 'metadata', 'deadletter', 'claims'];

function ofType(envelopes: Envelope[], baseType: string): Envelope[] {
  return envelopes.filter((e) => e.data.baseType === baseType);
}

function property(envelope: Envelope | undefined, key: string): string | undefined {
  return envelope?.data.baseData.properties?.[key];
}

describe('telemetry export through the real Azure Monitor exporter (loopback ingestion)', () => {
  const azurite = useAzurite();
  let server: IngestionServer;
  let events: EventGridStorageEvent[];
  let child: { code: number | null; output: string };

  before(async () => {
    server = await startIngestion();
    for (const name of CONTAINERS) await azurite.serviceClient.getContainerClient(name).create();
    events = [];
    for (const [name, fixture] of [
      ['photos/good.jpg', 'jpeg/camera-exif-gps.jpg'],
      ['photos/corrupt.jpg', 'bad/truncated.jpg'],
      ['photos/corrupt-unsampled.jpg', 'bad/truncated.jpg'],
    ] as const) {
      const bytes = readFileSync(path.join(FIXTURES_DIR, fixture));
      events.push(await upload(azurite.serviceClient, 'input', name, bytes));
    }
    // The third event is kept for the sampling test below.
    child = await runChild({ TELEMETRY_EVENTS: JSON.stringify(events.slice(0, 2)) });
  });
  after(async () => {
    await server?.close();
  });

  /** Runs the function app in a child with telemetry pointed at the loopback endpoint. */
  async function runChild(
    extra: NodeJS.ProcessEnv,
  ): Promise<{ code: number | null; output: string }> {
    const process_ = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      env: {
        ...process.env,
        IMAGES_STORAGE: azurite.connectionString,
        APPLICATIONINSIGHTS_CONNECTION_STRING: loopbackConnectionString(
          server,
          INSTRUMENTATION_KEY,
        ),
        // The child trusts the throw-away certificate; nothing else changes.
        NODE_EXTRA_CA_CERTS: server.caFile,
        // Statsbeat reports to Microsoft's own endpoint, which is not reachable here.
        APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL: 'true',
        ...extra,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    process_.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    process_.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(process_, 'exit')) as [number | null];
    return { code, output };
  }

  function requestFor(event: EventGridStorageEvent): Envelope | undefined {
    return ofType(server.envelopes, 'RequestData').find(
      (e) => property(e, 'cloudevents.event_id') === event.id,
    );
  }

  it('runs the function app with Azure Monitor on and sends to the configured endpoint only', () => {
    expect(child.code, child.output).to.equal(0);
    expect(child.output).to.contain('"outcome":"succeeded"').and.contain('"outcome":"failed"');
    expect(server.paths).to.include('/v2.1/track');
    expect(server.envelopes.length).to.be.above(0);
    expect(server.envelopes.every((e) => e.iKey === INSTRUMENTATION_KEY)).to.equal(true);
    // Without an authentication string: instrumentation key only, no token.
    const tracks = server.requests.filter((r) => r.path === '/v2.1/track');
    expect(tracks.every((r) => r.headers.authorization === undefined)).to.equal(true);
  });

  it('sends each processed blob as a named request with our attributes, and its steps as dependencies', () => {
    const good = requestFor(events[0] as EventGridStorageEvent);
    expect(good?.data.baseData).to.include({ name: 'process image', success: true });
    expect(good?.data.baseData.properties).to.include({
      'faas.trigger': 'pubsub',
      'cloudevents.event_type': 'Microsoft.Storage.BlobCreated',
      'serverless_img.input.name': 'photos/good.jpg',
      'serverless_img.outcome': 'succeeded',
      'serverless_img.format': 'jpeg',
      'serverless_img.width': '640',
      'serverless_img.height': '480',
    });
    expect(good?.tags?.['ai.cloud.role']).to.equal('serverless-img');

    const operation = good?.tags?.['ai.operation.id'];
    const steps = ofType(server.envelopes, 'RemoteDependencyData')
      .filter((e) => e.tags?.['ai.operation.id'] === operation)
      .map((e) => e.data.baseData.name);
    expect(steps).to.include.members([
      'download',
      'image.decode',
      'image.resize',
      'upload rendition',
      'upload metadata',
    ]);
  });

  it('sends a corrupt image as a failed request with its error code, the exception and the warning', () => {
    const bad = requestFor(events[1] as EventGridStorageEvent);
    expect(bad?.data.baseData).to.include({ name: 'process image', success: false });
    // The exporter maps `error.type` away (it is an HTTP semantic attribute to it); our own
    // `serverless_img.error.code` is what reaches customDimensions.
    expect(bad?.data.baseData.properties).to.include({
      'serverless_img.outcome': 'failed',
      'serverless_img.error.code': 'CORRUPT_IMAGE',
    });
    const operation = bad?.tags?.['ai.operation.id'];
    const exceptions = ofType(server.envelopes, 'ExceptionData').filter(
      (e) => e.tags?.['ai.operation.id'] === operation,
    );
    expect(JSON.stringify(exceptions)).to.match(/corrupt or truncated/);
    const warnings = ofType(server.envelopes, 'MessageData').filter(
      (e) => e.tags?.['ai.operation.id'] === operation,
    );
    expect(warnings.map((e) => e.data.baseData.severityLevel)).to.include('Warning');
    expect(JSON.stringify(warnings)).to.match(/CORRUPT_IMAGE/);
  });

  it('sends the image metrics with outcome, format and error code as dimensions', () => {
    const metrics = ofType(server.envelopes, 'MetricData').flatMap((e) =>
      ((e.data.baseData.metrics ?? []) as { name: string; value: number }[]).map((m) => ({
        ...m,
        properties: e.data.baseData.properties ?? {},
      })),
    );
    const images = metrics.filter((m) => m.name === 'serverless_img.images');
    const succeeded = images.find((m) => m.properties['serverless_img.outcome'] === 'succeeded');
    const failed = images.find((m) => m.properties['serverless_img.outcome'] === 'failed');
    expect(succeeded?.value).to.equal(1);
    expect(succeeded?.properties['serverless_img.format']).to.equal('jpeg');
    expect(failed?.value).to.equal(1);
    expect(failed?.properties['serverless_img.error.code']).to.equal('CORRUPT_IMAGE');
    expect(metrics.map((m) => m.name)).to.include.members([
      'serverless_img.duration',
      'serverless_img.bytes.read',
      'serverless_img.bytes.written',
    ]);
  });

  it('authenticates with Entra ID through the managed identity when the settings say Authorization=AAD', async () => {
    const clientId = '11111111-2222-4333-8444-555555555555';
    const before = server.requests.length;
    // The managed identity endpoint is a stand-in (Azure's cannot run here), speaking the
    // protocol App Service and Functions use: IDENTITY_ENDPOINT + X-IDENTITY-HEADER.
    const again = await runChild({
      TELEMETRY_EVENTS: JSON.stringify(events.slice(0, 1)),
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `ClientId=${clientId};Authorization=AAD`,
      IDENTITY_ENDPOINT: server.identityEndpoint,
      IDENTITY_HEADER: IDENTITY.header,
    });
    expect(again.code, again.output).to.equal(0);
    const requests = server.requests.slice(before);
    const tokenRequests = requests.filter((r) => r.path === '/msi/token');
    expect(tokenRequests.length).to.be.above(0);
    expect(tokenRequests[0]?.query.get('client_id')).to.equal(clientId);
    expect(tokenRequests[0]?.query.get('resource')).to.match(/^https:\/\/monitor\.azure\.com/);
    const tracks = requests.filter((r) => r.path === '/v2.1/track');
    expect(tracks.length).to.be.above(0);
    for (const track of tracks) {
      expect(track.headers.authorization).to.equal(`Bearer ${IDENTITY.token}`);
    }
  });

  it('keeps the warning and the metrics of a failure whose trace is sampled out', async () => {
    const before = server.envelopes.length;
    const unsampled = await runChild({
      TELEMETRY_EVENTS: JSON.stringify(events.slice(2, 3)),
      IMG_TRACE_SAMPLING_RATIO: '0',
    });
    expect(unsampled.code, unsampled.output).to.equal(0);
    expect(unsampled.output).to.contain('"outcome":"failed"');
    const received = server.envelopes.slice(before);
    expect(ofType(received, 'RequestData')).to.have.length(0);
    const warnings = ofType(received, 'MessageData').filter((e) =>
      String(e.data.baseData.message).includes('photos/corrupt-unsampled.jpg'),
    );
    expect(warnings.map((e) => e.data.baseData.severityLevel)).to.deep.equal(['Warning']);
    expect(String(warnings[0]?.data.baseData.message)).to.contain('CORRUPT_IMAGE');
    const failed = ofType(received, 'MetricData').filter(
      (e) =>
        (e.data.baseData.metrics as { name: string }[])[0]?.name === 'serverless_img.images' &&
        e.data.baseData.properties?.['serverless_img.outcome'] === 'failed',
    );
    expect(failed).to.have.length(1);
  });
});
