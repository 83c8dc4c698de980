/**
 * Starts OpenTelemetry for the process, before anything else runs: Application Insights through
 * the Azure Monitor distro when a connection string is set, console exporters when asked for,
 * or nothing at all (the `@opentelemetry/api` calls in lib/ and functions/ stay no-ops).
 * `shutdownTelemetry` flushes and stops it, for the local runtime, scripts and tests.
 */
import {
  SpanKind,
  context,
  metrics,
  propagation,
  trace,
  type MeterProvider,
  type TracerProvider,
} from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { shutdownAzureMonitor, useAzureMonitor } from '@azure/monitor-opentelemetry';
// A webpack CommonJS bundle: under native ESM only its default export is visible.
import functionsInstrumentation from '@azure/functions-opentelemetry-instrumentation';
import { defaultResource, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import {
  ConsoleLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
  type LogRecordProcessor,
} from '@opentelemetry/sdk-logs';
import {
  ConsoleMetricExporter,
  MeterProvider as SdkMeterProvider,
  PeriodicExportingMetricReader,
  type MetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  ConsoleSpanExporter,
  NodeTracerProvider,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type Span,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { SERVICE_NAME, SERVICE_VERSION } from './service.js';
import { readTelemetrySettings, type Env, type TelemetrySettings } from '../config.js';

export { SERVICE_NAME, SERVICE_VERSION } from './service.js';

/** The `@azure/functions` module (see `functions/azure-functions.ts`). */
type AzureFunctionsModule = typeof import('@azure/functions');

/** What `startTelemetry` set up: `custom` when only the caller's processors/readers receive data. */
export type TelemetryMode = 'azure-monitor' | 'console' | 'custom' | 'none';

/** Extra receivers and inputs for `startTelemetry`; tests pass in-memory exporters here. */
export interface TelemetryOptions {
  /** The environment to read the telemetry settings from; defaults to the process's. */
  env?: Env;
  spanProcessors?: SpanProcessor[];
  metricReaders?: MetricReader[];
  logRecordProcessors?: LogRecordProcessor[];
  /**
   * The `@azure/functions` module, when running inside the Functions host: its invocation span
   * then parents ours and `context.log` is exported by the worker (`WorkerOpenTelemetryEnabled`).
   */
  azureFunctions?: AzureFunctionsModule | undefined;
}

interface ActiveTelemetry {
  mode: TelemetryMode;
  settings: TelemetrySettings;
  shutdown: () => Promise<void>;
}

let active: ActiveTelemetry | undefined;

/** The mode telemetry runs in, or `none` before `startTelemetry`. */
export function telemetryMode(): TelemetryMode {
  return active?.mode ?? 'none';
}

function serviceResource(): Resource {
  return defaultResource().merge(
    resourceFromAttributes({
      [ATTR_SERVICE_NAME]: SERVICE_NAME,
      [ATTR_SERVICE_VERSION]: SERVICE_VERSION,
    }),
  );
}

/** The managed identity named by the settings, else the system-assigned one: never developer credentials. */
function entraCredential(entraId: { clientId?: string }): TokenCredential {
  return entraId.clientId
    ? new ManagedIdentityCredential({ clientId: entraId.clientId })
    : new ManagedIdentityCredential();
}

/** Lets the Functions host's invocation span parent ours and hands `context.log` to OpenTelemetry. */
function instrumentFunctionsHost(azureFunctions: AzureFunctionsModule): () => void {
  // enabled:false: no require hook (we are ESM); registerAzFunc patches the module we were given.
  const instrumentation = new functionsInstrumentation.AzureFunctionsInstrumentationESM({
    enabled: false,
  });
  instrumentation.setTracerProvider(trace.getTracerProvider());
  instrumentation.setMeterProvider(metrics.getMeterProvider());
  instrumentation.setLoggerProvider(logs.getLoggerProvider());
  instrumentation.registerAzFunc(azureFunctions);
  return () => instrumentation.disable();
}

/**
 * Names the Application Insights request of a CONSUMER span: the exporter takes a request's name
 * from `span.name` for SERVER spans only, and from `ai.operation.name` otherwise.
 */
class RequestNameProcessor implements SpanProcessor {
  onStart(span: Span): void {
    if (span.kind === SpanKind.CONSUMER && span.attributes['ai.operation.name'] === undefined) {
      span.setAttribute('ai.operation.name', span.name);
    }
  }
  onEnd(): void {}
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function startAzureMonitor(
  settings: TelemetrySettings,
  options: TelemetryOptions,
): () => Promise<void> {
  const credential = settings.entraId ? entraCredential(settings.entraId) : undefined;
  useAzureMonitor({
    azureMonitorExporterOptions: {
      connectionString: settings.connectionString,
      ...(credential && { credential }),
    },
    resource: serviceResource(),
    // Deliberate sampling: the default rate limiter (5 traces/s) drops images in a burst.
    tracesPerSecond: 0,
    samplingRatio: settings.samplingRatio,
    // Logs are kept even when their trace is sampled out, so a failure always leaves a record.
    enableTraceBasedSamplingForLogs: false,
    spanProcessors: [new RequestNameProcessor(), ...(options.spanProcessors ?? [])],
    metricReaders: options.metricReaders ?? [],
    logRecordProcessors: options.logRecordProcessors ?? [],
  });
  return async () => {
    await shutdownAzureMonitor();
  };
}

/** A plain OpenTelemetry SDK: console exporters and/or the caller's processors and readers. */
function startLocalSdk(
  settings: TelemetrySettings,
  options: TelemetryOptions,
  console: boolean,
): () => Promise<void> {
  const resource = serviceResource();
  const spanProcessors = [...(options.spanProcessors ?? [])];
  const metricReaders = [...(options.metricReaders ?? [])];
  const logRecordProcessors = [...(options.logRecordProcessors ?? [])];
  if (console) {
    spanProcessors.push(new SimpleSpanProcessor(new ConsoleSpanExporter()));
    metricReaders.push(
      new PeriodicExportingMetricReader({
        exporter: new ConsoleMetricExporter(),
        exportIntervalMillis: 60_000,
      }),
    );
    logRecordProcessors.push(new SimpleLogRecordProcessor(new ConsoleLogRecordExporter()));
  }
  const tracerProvider = new NodeTracerProvider({
    resource,
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.samplingRatio) }),
    spanProcessors,
  });
  tracerProvider.register();
  const meterProvider = new SdkMeterProvider({ resource, readers: metricReaders });
  metrics.setGlobalMeterProvider(meterProvider);
  const loggerProvider = new LoggerProvider({ resource, processors: logRecordProcessors });
  logs.setGlobalLoggerProvider(loggerProvider);
  return async () => {
    await Promise.all([
      tracerProvider.shutdown(),
      meterProvider.shutdown(),
      loggerProvider.shutdown(),
    ]);
  };
}

/**
 * Starts telemetry once per process from the settings (see `../config.ts`); later calls return
 * the mode already running. Call it before importing code that creates spans or instruments.
 */
export function startTelemetry(options: TelemetryOptions = {}): TelemetryMode {
  if (active) return active.mode;
  const settings = readTelemetrySettings(options.env);
  const custom = Boolean(
    options.spanProcessors?.length ||
    options.metricReaders?.length ||
    options.logRecordProcessors?.length,
  );
  let mode: TelemetryMode;
  let stopSdk: () => Promise<void>;
  if (settings.exporter === 'azure-monitor') {
    mode = 'azure-monitor';
    stopSdk = startAzureMonitor(settings, options);
  } else if (settings.exporter === 'console' || custom) {
    mode = settings.exporter === 'console' ? 'console' : 'custom';
    stopSdk = startLocalSdk(settings, options, settings.exporter === 'console');
  } else {
    active = { mode: 'none', settings, shutdown: async () => {} };
    return 'none';
  }
  const stopHost = options.azureFunctions
    ? instrumentFunctionsHost(options.azureFunctions)
    : undefined;
  active = {
    mode,
    settings,
    shutdown: async () => {
      stopHost?.();
      await stopSdk();
    },
  };
  return mode;
}

interface Flushable {
  forceFlush?: () => Promise<void>;
}

/** The SDK behind a global provider (the API wraps the tracer provider in a proxy). */
function sdkOf(provider: TracerProvider | MeterProvider | object): Flushable {
  const delegate = (provider as { getDelegate?: () => object }).getDelegate?.();
  return (delegate ?? provider) as Flushable;
}

/**
 * Exports everything buffered (spans, metrics, logs) without stopping; for a process that is
 * about to be frozen or to report, e.g. after a batch in the local runtime.
 */
export async function flushTelemetry(): Promise<void> {
  if (!active || active.mode === 'none') return;
  await Promise.all(
    [trace.getTracerProvider(), metrics.getMeterProvider(), logs.getLoggerProvider()].map(
      (provider) => sdkOf(provider).forceFlush?.(),
    ),
  );
}

/**
 * Flushes and stops telemetry and clears the global providers, so the process can exit (and a
 * test can start telemetry again). The Azure Monitor exporter may keep a timer alive for about
 * 20 s after this: a CLI or runtime that is done should exit explicitly.
 */
export async function shutdownTelemetry(): Promise<void> {
  const current = active;
  active = undefined;
  if (!current) return;
  try {
    await current.shutdown();
  } finally {
    trace.disable();
    metrics.disable();
    logs.disable();
    propagation.disable();
    context.disable();
  }
}
