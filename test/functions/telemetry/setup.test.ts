import { expect } from 'chai';
import { SpanKind, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import type { Histogram } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, InMemorySpanExporter } from '@opentelemetry/sdk-trace-node';
import {
  SERVICE_NAME,
  flushTelemetry,
  shutdownTelemetry,
  startTelemetry,
  telemetryMode,
} from '../../../functions/telemetry/setup.js';
import { METRIC_NAMES, recordImage } from '../../../functions/telemetry/metrics.js';
import { telemetryLogHandler } from '../../../functions/telemetry/logs.js';
import { memoryTelemetry } from './memory.js';

describe('telemetry setup', () => {
  afterEach(() => shutdownTelemetry());

  it('stays off without settings: spans are not recorded and nothing is registered', () => {
    expect(startTelemetry({ env: {} })).to.equal('none');
    const span = trace.getTracer('test').startSpan('process image');
    expect(span.isRecording()).to.equal(false);
    span.end();
  });

  it('exports spans with the service name and version as resource attributes', () => {
    const memory = memoryTelemetry();
    expect(startTelemetry(memory.options)).to.equal('custom');
    trace.getTracer('test').startSpan('process image', { kind: SpanKind.CONSUMER }).end();
    const [span] = memory.spans();
    expect(span?.name).to.equal('process image');
    expect(span?.resource.attributes['service.name']).to.equal(SERVICE_NAME);
    expect(span?.resource.attributes['service.version']).to.match(/^\d+\.\d+\.\d+/);
  });

  it('starts once: a second call keeps the first receivers', () => {
    const first = memoryTelemetry();
    const second = memoryTelemetry();
    startTelemetry(first.options);
    expect(startTelemetry(second.options)).to.equal('custom');
    trace.getTracer('test').startSpan('one').end();
    expect(first.spans()).to.have.length(1);
    expect(second.spans()).to.have.length(0);
  });

  it('counts images by outcome, format and error code, with duration and bytes', async () => {
    const memory = memoryTelemetry();
    startTelemetry(memory.options);
    recordImage({
      outcome: 'succeeded',
      format: 'jpeg',
      durationMs: 40,
      bytesRead: 1000,
      bytesWritten: 300,
    });
    recordImage({ outcome: 'succeeded', format: 'jpeg', durationMs: 60, bytesRead: 500 });
    recordImage({ outcome: 'failed', errorCode: 'CORRUPT_IMAGE', durationMs: 5, bytesRead: 20 });
    const metrics = await memory.metrics();

    const images = metrics.get(METRIC_NAMES.images) ?? [];
    const succeeded = images.find((p) => p.attributes['serverless_img.outcome'] === 'succeeded');
    const failed = images.find((p) => p.attributes['serverless_img.outcome'] === 'failed');
    expect(succeeded?.value).to.equal(2);
    expect(succeeded?.attributes['serverless_img.format']).to.equal('jpeg');
    expect(failed?.value).to.equal(1);
    expect(failed?.attributes).to.include({
      'serverless_img.format': 'unknown',
      'serverless_img.error.code': 'CORRUPT_IMAGE',
    });

    const duration = metrics.get(METRIC_NAMES.duration) ?? [];
    const okDuration = duration.find((p) => p.attributes['serverless_img.outcome'] === 'succeeded');
    expect((okDuration?.value as Histogram).count).to.equal(2);
    expect((okDuration?.value as Histogram).sum).to.equal(100);

    const read = (metrics.get(METRIC_NAMES.bytesRead) ?? []).map((p) => p.value as number);
    expect(read.reduce((a, b) => a + b, 0)).to.equal(1520);
    const written = metrics.get(METRIC_NAMES.bytesWritten) ?? [];
    expect(written.map((p) => p.value)).to.deep.equal([300]);
  });

  it('keeps counting images when traces are sampled out entirely', async () => {
    const memory = memoryTelemetry({ IMG_TRACE_SAMPLING_RATIO: '0' });
    startTelemetry(memory.options);
    trace.getTracer('test').startSpan('process image').end();
    recordImage({ outcome: 'failed', errorCode: 'STORAGE_TRANSIENT', durationMs: 1 });
    expect(memory.spans()).to.have.length(0);
    const images = (await memory.metrics()).get(METRIC_NAMES.images);
    expect(images?.[0]?.value).to.equal(1);
  });

  it('exports context.log lines with the trace and span of the active span, and still prints them', () => {
    const memory = memoryTelemetry();
    startTelemetry(memory.options);
    const printed: [string, unknown[]][] = [];
    const log = telemetryLogHandler((level, ...args) => printed.push([level, args]));
    const tracer = trace.getTracer('test');
    const failure = new Error('bad bytes');
    const spanContext = tracer.startActiveSpan('process image', (span) => {
      log('error', 'could not decode %s', 'a.jpg', failure);
      span.end();
      return span.spanContext();
    });
    const [record] = memory.logs();
    expect(record?.severityNumber).to.equal(SeverityNumber.ERROR);
    expect(record?.body).to.match(/^could not decode a\.jpg Error: bad bytes/);
    expect(record?.spanContext?.traceId).to.equal(spanContext.traceId);
    expect(record?.spanContext?.spanId).to.equal(spanContext.spanId);
    expect(record?.attributes['exception.message']).to.equal('bad bytes');
    expect(printed).to.deep.equal([['error', ['could not decode %s', 'a.jpg', failure]]]);
  });

  it('prints spans to the console when IMG_TELEMETRY_CONSOLE is true', () => {
    const original = console.dir;
    const printed: unknown[] = [];
    console.dir = (item: unknown) => void printed.push(item);
    try {
      expect(startTelemetry({ env: { IMG_TELEMETRY_CONSOLE: 'true' } })).to.equal('console');
      trace.getTracer('test').startSpan('process image').end();
    } finally {
      console.dir = original;
    }
    expect(printed).to.have.length(1);
    expect(printed[0]).to.include({ name: 'process image' });
  });

  it('flushes batched spans on demand without stopping', async () => {
    const exporter = new InMemorySpanExporter();
    startTelemetry({ env: {}, spanProcessors: [new BatchSpanProcessor(exporter)] });
    trace.getTracer('test').startSpan('batched').end();
    expect(exporter.getFinishedSpans()).to.have.length(0);
    await flushTelemetry();
    expect(exporter.getFinishedSpans().map((s) => s.name)).to.deep.equal(['batched']);
    expect(telemetryMode()).to.equal('custom');
  });

  it('clears the global providers on shutdown, so the process is back to no-op', async () => {
    const memory = memoryTelemetry();
    startTelemetry(memory.options);
    await shutdownTelemetry();
    expect(telemetryMode()).to.equal('none');
    const span = trace.getTracer('test').startSpan('after');
    expect(span.isRecording()).to.equal(false);
    span.end();
    expect(memory.spans()).to.have.length(0);
  });
});
