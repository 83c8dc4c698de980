/**
 * Child process of export.test.ts: starts telemetry exactly as the function app does (the
 * register module, first), does the work named by TELEMETRY_SCENARIO, then flushes and exits.
 * A child because `useAzureMonitor` is global to a process and keeps a timer after shutdown.
 */
import '../../../functions/telemetry/register.js';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { telemetryLogHandler } from '../../../functions/telemetry/logs.js';
import { recordImage } from '../../../functions/telemetry/metrics.js';
import { shutdownTelemetry, telemetryMode } from '../../../functions/telemetry/setup.js';

async function ownSpans(): Promise<void> {
  const tracer = trace.getTracer('export-child');
  const log = telemetryLogHandler();
  await tracer.startActiveSpan(
    'process image',
    { kind: SpanKind.CONSUMER, attributes: { 'serverless_img.format': 'jpeg' } },
    async (span) => {
      tracer.startSpan('download', { kind: SpanKind.CLIENT }).end();
      log('information', 'processed photo.jpg');
      recordImage({
        outcome: 'succeeded',
        format: 'jpeg',
        durationMs: 12,
        bytesRead: 100,
        bytesWritten: 50,
      });
      span.setStatus({ code: SpanStatusCode.OK });
      span.end();
    },
  );
}

let exitCode = 0;
try {
  if (telemetryMode() !== 'azure-monitor') throw new Error(`telemetry mode is ${telemetryMode()}`);
  await ownSpans();
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  await shutdownTelemetry();
  // The exporter keeps a timer alive for about 20 s after shutdown: exit deliberately.
  process.exit(exitCode);
}
