/**
 * In-memory receivers for spans, metrics and logs, plugged into `startTelemetry` so tests read
 * exactly what an exporter would receive.
 */
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  PeriodicExportingMetricReader,
  type DataPoint,
} from '@opentelemetry/sdk-metrics';
import {
  InMemoryLogRecordExporter,
  SimpleLogRecordProcessor,
  type ReadableLogRecord,
} from '@opentelemetry/sdk-logs';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-node';
import type { TelemetryOptions } from '../../../functions/telemetry/setup.js';

/** Everything the process exported, kept in memory. */
export interface MemoryTelemetry {
  options: TelemetryOptions;
  spans(): ReadableSpan[];
  logs(): ReadableLogRecord[];
  /** Collects the metrics now and returns the data points of each metric, by name. */
  metrics(): Promise<Map<string, DataPoint<unknown>[]>>;
}

/** Fresh in-memory receivers, and the `startTelemetry` options that plug them in. */
export function memoryTelemetry(env: NodeJS.ProcessEnv = {}): MemoryTelemetry {
  const spanExporter = new InMemorySpanExporter();
  const logExporter = new InMemoryLogRecordExporter();
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({
    exporter: metricExporter,
    exportIntervalMillis: 3_600_000,
  });
  return {
    options: {
      env,
      spanProcessors: [new SimpleSpanProcessor(spanExporter)],
      logRecordProcessors: [new SimpleLogRecordProcessor(logExporter)],
      metricReaders: [reader],
    },
    spans: () => spanExporter.getFinishedSpans(),
    logs: () => logExporter.getFinishedLogRecords(),
    metrics: async () => {
      metricExporter.reset();
      await reader.forceFlush();
      const byName = new Map<string, DataPoint<unknown>[]>();
      for (const resourceMetrics of metricExporter.getMetrics()) {
        for (const scope of resourceMetrics.scopeMetrics) {
          for (const metric of scope.metrics) {
            byName.set(metric.descriptor.name, metric.dataPoints as DataPoint<unknown>[]);
          }
        }
      }
      return byName;
    },
  };
}
