/**
 * A tracer provider whose span for one stage throws a TypeError when the stage sets its
 * attributes. Every stage of processImage runs in a span of the global tracer (lib/tracing.ts),
 * so this is a real dependency of the stage failing inside it, the way a bug would: what
 * processImage makes of an error that is not an ImageError, without a test-only code path.
 */
import {
  INVALID_SPAN_CONTEXT,
  trace,
  type Span,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';

/** The TypeError the faulty span throws, named so a test can recognise it. */
export const FAULT_MESSAGE = 'span.setAttributes is broken in this tracer';

function quietSpan(): Span {
  return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
}

function faultySpan(): Span {
  const span = Object.create(quietSpan()) as Span;
  span.setAttributes = () => {
    throw new TypeError(FAULT_MESSAGE);
  };
  return span;
}

/** Spans named `image.<stage>` throw from setAttributes; every other span does nothing. */
export function faultyTracerProvider(stage: string): TracerProvider {
  const tracer: Tracer = {
    startSpan: (name) => (name === `image.${stage}` ? faultySpan() : quietSpan()),
    startActiveSpan: ((name: string, ...rest: unknown[]) => {
      const work = rest[rest.length - 1] as (span: Span) => unknown;
      return work(tracer.startSpan(name));
    }) as Tracer['startActiveSpan'],
  };
  return { getTracer: () => tracer };
}

/** Installs the faulty provider as the global one (replacing any), until `trace.disable()`. */
export function installFaultyTracer(stage: string): void {
  trace.disable();
  trace.setGlobalTracerProvider(faultyTracerProvider(stage));
}
