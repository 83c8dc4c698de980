/**
 * The pipeline's metrics: how many images, how they ended, how long they took, how many bytes
 * moved. Metrics are never sampled, so counts and failure rates stay exact at any trace sampling.
 */
import {
  metrics,
  type Attributes,
  type Counter,
  type Histogram,
  type MeterProvider,
} from '@opentelemetry/api';
import { SERVICE_NAME, SERVICE_VERSION } from './service.js';

/**
 * How one delivery of an event ended: processed, failed for good (failure record written),
 * skipped (duplicate, superseded, not ours), results deleted, or failed to be retried.
 */
export type ImageOutcome = 'succeeded' | 'failed' | 'skipped' | 'deleted' | 'retried';

/** What the handler reports once per processed blob. */
export interface ImageMeasurement {
  outcome: ImageOutcome;
  /** Detected input format (`jpeg`, `png`, …); `unknown` when detection failed or never ran. */
  format?: string;
  /** Stable error code of a failure or retry (`CORRUPT_IMAGE`, `STORAGE_TRANSIENT`, …). */
  errorCode?: string;
  /** Wall time of the whole invocation, download to last upload. */
  durationMs: number;
  bytesRead?: number;
  bytesWritten?: number;
}

/** Metric names, exactly as they appear in Application Insights' `customMetrics`. */
export const METRIC_NAMES = {
  images: 'serverless_img.images',
  duration: 'serverless_img.duration',
  bytesRead: 'serverless_img.bytes.read',
  bytesWritten: 'serverless_img.bytes.written',
} as const;

interface Instruments {
  provider: MeterProvider;
  images: Counter;
  duration: Histogram;
  bytesRead: Counter;
  bytesWritten: Counter;
}

let instruments: Instruments | undefined;

/**
 * The instruments of the current global meter provider. The metrics API has no proxy: a meter
 * taken before telemetry starts stays a no-op, so instruments follow the provider.
 */
function currentInstruments(): Instruments {
  const provider = metrics.getMeterProvider();
  if (instruments?.provider === provider) return instruments;
  const meter = provider.getMeter(SERVICE_NAME, SERVICE_VERSION);
  instruments = {
    provider,
    images: meter.createCounter(METRIC_NAMES.images, {
      description: 'Images handled, by outcome, input format and error code.',
      unit: '{image}',
    }),
    duration: meter.createHistogram(METRIC_NAMES.duration, {
      description: 'Time to handle one image, download to last upload.',
      unit: 'ms',
    }),
    bytesRead: meter.createCounter(METRIC_NAMES.bytesRead, {
      description: 'Bytes downloaded from the input container.',
      unit: 'By',
    }),
    bytesWritten: meter.createCounter(METRIC_NAMES.bytesWritten, {
      description: 'Bytes uploaded to the output, thumbnail and metadata containers.',
      unit: 'By',
    }),
  };
  return instruments;
}

/** Records one handled image in every metric; the handler calls it once per invocation. */
export function recordImage(measurement: ImageMeasurement): void {
  const { images, duration, bytesRead, bytesWritten } = currentInstruments();
  const attributes: Attributes = {
    'serverless_img.outcome': measurement.outcome,
    'serverless_img.format': measurement.format ?? 'unknown',
  };
  if (measurement.errorCode) attributes['serverless_img.error.code'] = measurement.errorCode;
  images.add(1, attributes);
  duration.record(measurement.durationMs, attributes);
  if (measurement.bytesRead) bytesRead.add(measurement.bytesRead, attributes);
  if (measurement.bytesWritten) bytesWritten.add(measurement.bytesWritten, attributes);
}
