/**
 * The handler's telemetry port: one CONSUMER span per invocation, a child span per step, and
 * the image metrics once per invocation. The handler names its steps; spans and metrics wrap
 * them here instead of being interleaved with the work.
 */
import type { InvocationContext } from '@azure/functions';
import { SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import type { Outcome } from '../outcome.js';
import { recordImage } from './metrics.js';

/** The invocation's span, as the handler annotates it. */
export interface InvocationSpan {
  annotate(attributes: Attributes): void;
  rename(name: string): void;
}

/** What the handler tells telemetry. */
export interface TelemetryRecorder {
  /**
   * Runs one invocation inside its span and records how it ended: from the outcome it
   * resolves with, or as `retried` with the error's code when it rejects.
   */
  invocation(
    context: InvocationContext,
    work: (span: InvocationSpan) => Promise<Outcome>,
  ): Promise<Outcome>;
  /** Runs one step of the invocation inside a child span named `name`. */
  step<T>(name: string, attributes: Attributes, work: () => Promise<T>): Promise<T>;
}

/** Taken per call, so spans follow the provider that telemetry started (or restarted in tests). */
const tracer = () => trace.getTracer('serverless-img.functions');

/** The stable code of an error, for spans and metrics; `UNEXPECTED` for an uncoded one. */
export function errorCodeOf(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return error instanceof Error && typeof code === 'string' ? code : 'UNEXPECTED';
}

/**
 * The OpenTelemetry recorder. `faas.coldstart` is true for the first invocation it records:
 * build one per process (the app does).
 */
export function openTelemetryRecorder(): TelemetryRecorder {
  let coldStart = true;
  return {
    invocation(context, work) {
      const attributes = {
        'faas.trigger': 'pubsub',
        'faas.invocation_id': context.invocationId,
        'faas.coldstart': coldStart,
      };
      coldStart = false;
      const started = performance.now();
      return tracer().startActiveSpan(
        'process image',
        { kind: SpanKind.CONSUMER, attributes },
        async (span) => {
          try {
            return finish(span, await work(wrap(span)));
          } catch (error) {
            retried(span, error, Math.round(performance.now() - started));
            throw error;
          } finally {
            span.end();
          }
        },
      );
    },
    step(name, attributes, work) {
      return tracer().startActiveSpan(name, { attributes }, async (span) => {
        try {
          return await work();
        } catch (error) {
          markError(span, error, errorCodeOf(error));
          throw error;
        } finally {
          span.end();
        }
      });
    },
  };
}

function wrap(span: Span): InvocationSpan {
  return {
    annotate: (attributes) => span.setAttributes(attributes),
    rename: (name) => span.updateName(name),
  };
}

function finish(span: Span, outcome: Outcome): Outcome {
  span.setAttribute(
    'serverless_img.outcome',
    outcome.status === 'deleted' ? 'succeeded' : outcome.status,
  );
  if (outcome.status === 'skipped') span.setAttribute('serverless_img.skip_reason', outcome.reason);
  if (outcome.status === 'failed') {
    const error = Object.assign(new Error(outcome.message), { name: outcome.errorCode });
    markError(span, error, outcome.errorCode);
  }
  recordImage({
    outcome: outcome.status,
    format: 'format' in outcome ? outcome.format : undefined,
    errorCode: outcome.status === 'failed' ? outcome.errorCode : undefined,
    durationMs: outcome.ms,
    bytesRead: 'inputBytes' in outcome ? outcome.inputBytes : undefined,
    bytesWritten:
      outcome.status === 'succeeded'
        ? outcome.renditions.reduce((sum, rendition) => sum + rendition.bytes, 0)
        : undefined,
  });
  return outcome;
}

function retried(span: Span, error: unknown, durationMs: number): void {
  const code = errorCodeOf(error);
  markError(span, error, code);
  span.setAttribute('serverless_img.outcome', 'retried');
  recordImage({ outcome: 'retried', errorCode: code, durationMs });
}

function markError(span: Span, error: unknown, code: string): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
  span.setAttributes({ 'error.type': code, 'serverless_img.error.code': code });
}
