/**
 * Spans across the worker-thread boundary. The imaging core runs in worker threads (the time
 * limit needs them), where no exporter is registered and the invocation's span is not active:
 * its stage spans (`image.decode`, …) would be lost. The worker records them in memory and
 * returns them as plain data with its result; the calling thread replays them, with their own
 * times, attributes, status and events, as children of the span active there.
 */
import {
  context,
  trace,
  type Attributes,
  type Context,
  type HrTime,
  type SpanKind,
  type SpanStatus,
} from '@opentelemetry/api';
import type { InMemorySpanExporter } from '@opentelemetry/sdk-trace-node';
import { SERVICE_NAME, SERVICE_VERSION } from './service.js';

/** A finished span as plain, structured-cloneable data. */
export interface PlainSpan {
  name: string;
  kind: SpanKind;
  spanId: string;
  parentSpanId?: string;
  startTime: HrTime;
  endTime: HrTime;
  attributes: Attributes;
  status: SpanStatus;
  events: { name: string; time: HrTime; attributes?: Attributes }[];
}

/** True when the active span is recording, so a worker should record its spans for it. */
export function tracingActive(): boolean {
  return trace.getSpan(context.active())?.isRecording() ?? false;
}

let workerExporter: Promise<InMemorySpanExporter> | undefined;

/** Registers, once per worker thread, a tracer provider that keeps finished spans in memory. */
function workerSpanExporter(): Promise<InMemorySpanExporter> {
  workerExporter ??= import('@opentelemetry/sdk-trace-node').then(
    ({ InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor }) => {
      const exporter = new InMemorySpanExporter();
      new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register();
      return exporter;
    },
  );
  return workerExporter;
}

/**
 * In a worker thread: runs `work` and returns its value with the spans it created. One task at
 * a time per worker (the pool runs one image per thread), so the spans are this task's.
 */
export async function collectWorkerSpans<T>(
  work: () => Promise<T>,
): Promise<{ value: T; spans: PlainSpan[] }> {
  const exporter = await workerSpanExporter();
  exporter.reset();
  const value = await work();
  const spans = exporter.getFinishedSpans().map((span): PlainSpan => ({
    name: span.name,
    kind: span.kind,
    spanId: span.spanContext().spanId,
    ...(span.parentSpanContext && { parentSpanId: span.parentSpanContext.spanId }),
    startTime: span.startTime,
    endTime: span.endTime,
    attributes: span.attributes,
    status: span.status,
    events: span.events.map((event) => ({
      name: event.name,
      time: event.time,
      ...(event.attributes && { attributes: event.attributes }),
    })),
  }));
  exporter.reset();
  return { value, spans };
}

function startsBefore(a: PlainSpan, b: PlainSpan): number {
  return a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1];
}

/**
 * In the calling thread: recreates the worker's spans under the active span (or `parent`),
 * keeping their nesting, times, attributes, status and events (exceptions included).
 */
export function replayWorkerSpans(
  spans: readonly PlainSpan[] | undefined,
  parent: Context = context.active(),
): void {
  if (!spans?.length) return;
  const tracer = trace.getTracer(SERVICE_NAME, SERVICE_VERSION);
  const contexts = new Map<string, Context>();
  for (const plain of [...spans].sort(startsBefore)) {
    const parentContext =
      (plain.parentSpanId === undefined ? undefined : contexts.get(plain.parentSpanId)) ?? parent;
    const span = tracer.startSpan(
      plain.name,
      { kind: plain.kind, startTime: plain.startTime, attributes: plain.attributes },
      parentContext,
    );
    for (const event of plain.events) span.addEvent(event.name, event.attributes, event.time);
    span.setStatus(plain.status);
    span.end(plain.endTime);
    contexts.set(plain.spanId, trace.setSpan(parentContext, span));
  }
}
