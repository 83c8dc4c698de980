/**
 * The span tree, metrics and logs of the real handler against a real Azurite, read from
 * in-memory exporters: a good photo, a corrupt one, and a storage outage that must be retried.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { azureFunctions as functions } from '../../../functions/azure-functions.js';
import { loadConfig } from '../../../functions/config.js';
import { azuriteConnectionString } from '../../../functions/local/azurite.js';
import { startFaultProxy, type FaultProxy } from '../../../functions/local/load/proxy.js';
import type { EventHandler } from '../../../functions/process-blob.js';
import { createBlobServiceClient } from '../../../functions/storage.js';
import { telemetryLogHandler } from '../../../functions/telemetry/logs.js';
import { METRIC_NAMES } from '../../../functions/telemetry/metrics.js';
import { shutdownTelemetry, startTelemetry } from '../../../functions/telemetry/setup.js';
import { FIXTURES_DIR } from '../../fixtures.js';
import { useAzurite } from '../../helpers/azurite.js';
import { testHandler, upload, useImageRunner } from '../support.js';
import { memoryTelemetry, type MemoryTelemetry } from './memory.js';

const CONTAINERS = ['input', 'output', 'thumbnails', 'metadata', 'deadletter', 'claims'];

describe('handler telemetry: span tree, metrics and logs (real handler, real Azurite)', () => {
  const azurite = useAzurite();
  const images = useImageRunner();
  let memory: MemoryTelemetry;
  let proxy: FaultProxy;
  let handler: EventHandler;

  before(async () => {
    for (const name of CONTAINERS) await azurite.serviceClient.getContainerClient(name).create();
    // The handler talks to Azurite through a fault-injecting proxy, with its real client.
    proxy = await startFaultProxy(azurite.port);
    const config = loadConfig({ IMAGES_STORAGE: azuriteConnectionString(proxy.port) });
    // One try per call, so an injected outage reaches the handler instead of the SDK's retries.
    handler = testHandler(
      config,
      createBlobServiceClient(config.storage, { maxTries: 1 }),
      images.runner,
    );
  });
  after(async () => {
    await proxy?.close();
  });
  beforeEach(() => {
    memory = memoryTelemetry();
    startTelemetry(memory.options);
  });
  afterEach(async () => {
    proxy.setRule(undefined);
    await shutdownTelemetry();
  });

  /** Uploads `bytes` to input/<name> and delivers its BlobCreated event to the handler. */
  async function deliver(name: string, bytes: Uint8Array) {
    const event = await upload(azurite.serviceClient, 'input', name, bytes);
    const context = new functions.InvocationContext({
      invocationId: randomUUID(),
      functionName: 'processImage',
      logHandler: telemetryLogHandler(),
    });
    return { event, context, run: () => handler(event, context) };
  }

  function root(spans: ReadableSpan[]): ReadableSpan {
    const found = spans.filter((s) => s.name === 'process image');
    expect(found, 'one process image span').to.have.length(1);
    return found[0] as ReadableSpan;
  }

  function childrenOf(spans: ReadableSpan[], parent: ReadableSpan): string[] {
    return spans
      .filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId)
      .map((s) => s.name);
  }

  it('traces a good photo as one CONSUMER span with download, image stages and each upload as children', async () => {
    const bytes = readFileSync(path.join(FIXTURES_DIR, 'jpeg/camera-exif-gps.jpg'));
    const { event, context, run } = await deliver(`ok/${randomUUID()}.jpg`, bytes);
    const outcome = await run();
    expect(outcome.status).to.equal('succeeded');

    const spans = memory.spans();
    const span = root(spans);
    expect(span.kind).to.equal(SpanKind.CONSUMER);
    expect(span.status.code).to.not.equal(SpanStatusCode.ERROR);
    expect(span.attributes).to.include({
      'faas.trigger': 'pubsub',
      'faas.invocation_id': context.invocationId,
      'cloudevents.event_id': event.id,
      'cloudevents.event_type': 'Microsoft.Storage.BlobCreated',
      'serverless_img.outcome': 'succeeded',
      'serverless_img.input.bytes': bytes.length,
      'serverless_img.format': 'jpeg',
      'serverless_img.width': 640,
      'serverless_img.height': 480,
      'serverless_img.output.format': 'jpeg',
    });
    // true for the first invocation of this process, which depends on the order tests run in.
    expect(span.attributes['faas.coldstart']).to.be.a('boolean');
    expect(span.attributes['serverless_img.output.bytes']).to.be.a('number').above(0);
    expect(span.attributes['serverless_img.renditions']).to.equal(2);

    const children = childrenOf(spans, span);
    expect(children).to.include.members(['download', 'upload rendition', 'upload metadata']);
    for (const stage of ['decode', 'orient', 'resize', 'thumbnail', 'metadata']) {
      expect(children, `image.${stage}`).to.include(`image.${stage}`);
    }
    expect(spans.every((s) => s.spanContext().traceId === span.spanContext().traceId)).to.equal(
      true,
    );
    // The core's stages ran in a worker thread; their spans keep the worker's own times (not
    // the moment they were replayed): the decode span lasts as long as the decode stage the
    // metadata document reports, and follows the sniff stage. (Clocks of different threads
    // differ by fractions of a millisecond, so only same-thread times are compared.)
    const byName = (name: string) => spans.find((s) => s.name === name) as ReadableSpan;
    const ms = (t: [number, number]) => t[0] * 1e3 + t[1] / 1e6;
    const decode = byName('image.decode');
    const metadata = JSON.parse(
      (
        await azurite.serviceClient
          .getContainerClient('metadata')
          .getBlobClient(`${outcome.status === 'succeeded' ? outcome.name : ''}.json`)
          .downloadToBuffer()
      ).toString('utf8'),
    ) as { timingsMs: Record<string, number> };
    const decodeMs = ms(decode.endTime) - ms(decode.startTime);
    expect(decodeMs).to.be.above((metadata.timingsMs.decode ?? 0) / 2);
    expect(decodeMs).to.be.at.most((metadata.timingsMs.decode ?? 0) + 0.5);
    // Span start times can carry whole-millisecond precision: allow one millisecond of it.
    expect(ms(byName('image.sniff').endTime)).to.be.at.most(ms(decode.startTime) + 1);
    expect(decode.attributes['serverless_img.format']).to.equal('jpeg');

    const metrics = await memory.metrics();
    const images = metrics.get(METRIC_NAMES.images) ?? [];
    expect(images.map((p) => [p.attributes, p.value])).to.deep.equal([
      [{ 'serverless_img.outcome': 'succeeded', 'serverless_img.format': 'jpeg' }, 1],
    ]);
    const read = metrics.get(METRIC_NAMES.bytesRead) ?? [];
    expect(read.map((p) => p.value)).to.deep.equal([bytes.length]);
    const written = (metrics.get(METRIC_NAMES.bytesWritten) ?? [])[0]?.value as number;
    // Every rendition's bytes, as the span says (the metadata document is not counted).
    expect(written).to.equal(span.attributes['serverless_img.output.bytes']);

    const logs = memory.logs();
    const processed = logs.find((l) => String(l.body).startsWith('Processed '));
    expect(processed?.spanContext?.spanId).to.equal(span.spanContext().spanId);
  });

  it('marks a corrupt image as an ERROR span with the error code and exception, and completes', async () => {
    const bytes = readFileSync(path.join(FIXTURES_DIR, 'bad/truncated.jpg'));
    const { run } = await deliver(`bad/${randomUUID()}.jpg`, bytes);
    const outcome = await run();
    expect(outcome.status).to.equal('failed');

    const spans = memory.spans();
    const span = root(spans);
    expect(span.status.code).to.equal(SpanStatusCode.ERROR);
    expect(span.attributes).to.include({
      'serverless_img.outcome': 'failed',
      'serverless_img.error.code': 'CORRUPT_IMAGE',
      'error.type': 'CORRUPT_IMAGE',
      'serverless_img.format': 'jpeg',
    });
    const exception = span.events.find((e) => e.name === 'exception');
    expect(exception?.attributes?.['exception.message']).to.match(/corrupt or truncated/);
    // The failing stage, replayed from the worker thread, carries the error too.
    const failedStage = spans.find(
      (s) => s.name.startsWith('image.') && s.status.code === SpanStatusCode.ERROR,
    );
    expect(failedStage?.parentSpanContext?.spanId).to.equal(span.spanContext().spanId);
    expect(failedStage?.events.map((e) => e.name)).to.include('exception');
    // The failure record is still written, as the last step.
    expect(childrenOf(spans, span)).to.include.members(['download', 'upload metadata']);

    const images = (await memory.metrics()).get(METRIC_NAMES.images) ?? [];
    expect(images.map((p) => [p.attributes, p.value])).to.deep.equal([
      [
        {
          'serverless_img.outcome': 'failed',
          'serverless_img.format': 'jpeg',
          'serverless_img.error.code': 'CORRUPT_IMAGE',
        },
        1,
      ],
    ]);
    const warning = memory.logs().find((l) => l.severityNumber === SeverityNumber.WARN);
    expect(warning?.body).to.match(/CORRUPT_IMAGE/);
    expect(warning?.spanContext?.traceId).to.equal(span.spanContext().traceId);
  });

  it('marks a storage outage during download as a retried ERROR span and rethrows for Event Grid', async () => {
    const bytes = readFileSync(path.join(FIXTURES_DIR, 'jpeg/camera-exif-gps.jpg'));
    const { run } = await deliver(`outage/${randomUUID()}.jpg`, bytes);
    proxy.setRule((request) => (request.operation === 'download' ? '503' : undefined));
    let thrown: unknown;
    try {
      await run();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).to.have.property('code', 'STORAGE_TRANSIENT');

    const spans = memory.spans();
    const span = root(spans);
    expect(span.status.code).to.equal(SpanStatusCode.ERROR);
    expect(span.attributes).to.include({
      'serverless_img.outcome': 'retried',
      'serverless_img.error.code': 'STORAGE_TRANSIENT',
      'error.type': 'STORAGE_TRANSIENT',
    });
    const download = spans.find((s) => s.name === 'download');
    expect(download?.parentSpanContext?.spanId).to.equal(span.spanContext().spanId);
    expect(download?.status.code).to.equal(SpanStatusCode.ERROR);

    const images = (await memory.metrics()).get(METRIC_NAMES.images) ?? [];
    expect(images.map((p) => [p.attributes, p.value])).to.deep.equal([
      [
        {
          'serverless_img.outcome': 'retried',
          'serverless_img.format': 'unknown',
          'serverless_img.error.code': 'STORAGE_TRANSIENT',
        },
        1,
      ],
    ]);
    const error = memory.logs().find((l) => l.severityNumber === SeverityNumber.ERROR);
    expect(error?.body).to.match(/will be retried/);
    expect(error?.spanContext?.traceId).to.equal(span.spanContext().traceId);
  });
});
