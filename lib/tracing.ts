/**
 * Tracing for the imaging core: each stage runs in a child span of whatever span is active.
 * The core depends on `@opentelemetry/api` only; the process that hosts it decides whether and
 * where spans are exported (without an SDK registered, the API is a no-op).
 */
import { SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
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
 * Runs `work` inside a span named `name`, child of the active span; records the exception and
 * sets status ERROR when it throws, and always ends the span.
 */
export async function inSpan<T>(name: string, work: (span: Span) => Promise<T> | T): Promise<T> {
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
