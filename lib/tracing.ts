/**
 * Tracing for the imaging core: each stage runs in a child span of whatever span is active.
 * The core depends on `@opentelemetry/api` only; the process that hosts it decides whether and
 * where spans are exported (without an SDK registered, the API is a no-op).
 * The API itself is loaded only once a tracer provider is registered: its 65 CommonJS files
 * took about 40 ms of a cold start's import (a third of it) to make spans that go nowhere.
 */
import type { Attributes, Span, SpanContext } from '@opentelemetry/api';
import { LIBRARY_NAME, LIBRARY_VERSION } from './version.js';

/** Prefix of every attribute the core sets. */
export const ATTRIBUTE_PREFIX = 'serverless_img.';

/** Builds attributes with the project prefix, dropping undefined values. */
export function imageAttributes(
  values: Record<string, string | number | boolean | undefined>,
): Attributes {
  const attributes: Attributes = {};
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) attributes[ATTRIBUTE_PREFIX + key] = value;
  }
  return attributes;
}

/**
 * Where every copy of `@opentelemetry/api` 1.x in the process keeps what an SDK registers (its
 * internal/global-utils: one object per major version, so that copies agree); a registered
 * tracer provider is its `trace` entry, removed again by `trace.disable()`.
 */
const OTEL_API_GLOBAL = Symbol.for('opentelemetry.js.api.1');

/** Whether a tracer provider is registered, read without loading the API. */
function tracerRegistered(): boolean {
  const registered = (globalThis as { [OTEL_API_GLOBAL]?: { trace?: unknown } })[OTEL_API_GLOBAL];
  return registered?.trace !== undefined;
}

let otelApi: Promise<typeof import('@opentelemetry/api')> | undefined;

/** The OpenTelemetry API, imported on the first span that can be recorded. */
function loadOtelApi(): Promise<typeof import('@opentelemetry/api')> {
  otelApi ??= import('@opentelemetry/api');
  return otelApi;
}

/** The span context of a span that is not recorded (the API's INVALID_SPAN_CONTEXT). */
const INVALID_SPAN_CONTEXT: SpanContext = {
  traceId: '00000000000000000000000000000000',
  spanId: '0000000000000000',
  traceFlags: 0,
};

/** What a stage gets for a span when no tracer provider is registered: it records nothing. */
const UNRECORDED_SPAN: Span = {
  spanContext: () => INVALID_SPAN_CONTEXT,
  setAttribute: () => UNRECORDED_SPAN,
  setAttributes: () => UNRECORDED_SPAN,
  addEvent: () => UNRECORDED_SPAN,
  addLink: () => UNRECORDED_SPAN,
  addLinks: () => UNRECORDED_SPAN,
  setStatus: () => UNRECORDED_SPAN,
  updateName: () => UNRECORDED_SPAN,
  end: () => undefined,
  isRecording: () => false,
  recordException: () => undefined,
};

/**
 * Runs `work` inside a span named `name`, child of the active span; records the exception and
 * sets status ERROR when it throws, and always ends the span. With no tracer provider
 * registered, `work` runs with a span that records nothing, as the API's no-op tracer would.
 */
export async function inSpan<T>(name: string, work: (span: Span) => Promise<T> | T): Promise<T> {
  if (!tracerRegistered()) return work(UNRECORDED_SPAN);
  const { SpanStatusCode, trace } = await loadOtelApi();
  const tracer = trace.getTracer(LIBRARY_NAME, LIBRARY_VERSION);
  return tracer.startActiveSpan(name, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : String(error),
      });
      throw error;
    } finally {
      span.end();
    }
  });
}
