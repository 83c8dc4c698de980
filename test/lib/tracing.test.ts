import { expect } from 'chai';
import { context, trace, SpanStatusCode } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import {
  DEFAULT_RENDITIONS,
  loadCodecs,
  processImage,
  type RenditionSpec,
} from '../../lib/index.js';
import { jpegOf, photoLike } from './images.js';

describe('tracing', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const contextManager = new AsyncLocalStorageContextManager();

  before(async () => {
    await loadCodecs();
    context.setGlobalContextManager(contextManager.enable());
    trace.setGlobalTracerProvider(provider);
  });

  after(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
  });

  beforeEach(() => exporter.reset());

  it('runs every stage in a child span of the active span, with prefixed attributes', async () => {
    const source = await jpegOf(photoLike(900, 700));
    const tracer = trace.getTracer('test');
    await tracer.startActiveSpan('parent', async (parent) => {
      await processImage(source, { name: 'a.jpg' });
      parent.end();
    });
    const spans = exporter.getFinishedSpans();
    const parent = spans.find((span) => span.name === 'parent')!;
    const stages = spans.filter((span) => span.name.startsWith('image.'));
    expect(stages.map((span) => span.name)).to.include.members([
      'image.sniff',
      'image.guard',
      'image.decode',
      'image.orient',
      'image.resize',
      'image.thumbnail',
      'image.encode',
      'image.metadata',
    ]);
    for (const span of stages) {
      expect(span.parentSpanContext?.spanId, span.name).to.equal(parent.spanContext().spanId);
    }
    const decode = stages.find((span) => span.name === 'image.decode')!;
    expect(decode.attributes).to.include({
      'serverless_img.format': 'jpeg',
      'serverless_img.width': 900,
      'serverless_img.height': 700,
    });
    const encode = stages.find((span) => span.name === 'image.encode')!;
    expect(encode.attributes['serverless_img.output.bytes']).to.be.a('number');
  });

  it('decodes a JPEG only as small as its largest rendition allows (shrink-on-load)', async () => {
    const source = await jpegOf(photoLike(3200, 2400));
    const decodedWidth = async (renditions?: RenditionSpec[]) => {
      exporter.reset();
      await processImage(source, { name: 'big.jpg', ...(renditions && { renditions }) });
      const decode = exporter.getFinishedSpans().find((span) => span.name === 'image.decode')!;
      return decode.attributes['serverless_img.decoded.width'] as number;
    };
    const large: RenditionSpec = {
      container: 'large',
      width: 1600,
      height: 1200,
      fit: 'inside',
      format: 'webp',
      quality: 82,
    };
    const byDefault = await decodedWidth();
    const withLarge = await decodedWidth([...DEFAULT_RENDITIONS, large]);
    expect(byDefault).to.be.at.least(800).and.below(3200);
    expect(withLarge).to.be.at.least(1600).and.above(byDefault);
  });

  it('marks the failing stage ERROR and records the exception', async () => {
    await processImage(new TextEncoder().encode('not an image'), { name: 'x.jpg' }).catch(
      () => undefined,
    );
    const sniff = exporter.getFinishedSpans().find((span) => span.name === 'image.sniff')!;
    expect(sniff.status.code).to.equal(SpanStatusCode.ERROR);
    expect(sniff.events.map((event) => event.name)).to.include('exception');
  });
});

describe('tracing with a tracer provider registered late', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

  after(async () => {
    await provider.shutdown();
    trace.disable();
  });

  it('processes images with no provider, then records spans once one is registered', async () => {
    trace.disable();
    const source = await jpegOf(photoLike(320, 240));
    const untraced = await processImage(source, { name: 'a.jpg' });
    expect(untraced.metadata.timingsMs).to.have.property('decode');
    trace.setGlobalTracerProvider(provider);
    await processImage(source, { name: 'a.jpg' });
    const names = exporter.getFinishedSpans().map((span) => span.name);
    expect(names).to.include.members(['image.sniff', 'image.decode', 'image.encode']);
  });
});
