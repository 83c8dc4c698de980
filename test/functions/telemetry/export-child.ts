/**
 * Child process of export.test.ts: loads the function app's entry module (which starts telemetry
 * first, from the app settings), hands each event in TELEMETRY_EVENTS to the real Event Grid
 * handler, then flushes and exits. A child because `useAzureMonitor` is global to a process and
 * keeps a timer alive after shutdown.
 */
import { randomUUID } from 'node:crypto';
import { azureFunctions } from '../../../functions/azure-functions.js';
import { processImageEvent } from '../../../functions/index.js';
import { telemetryLogHandler } from '../../../functions/telemetry/logs.js';
import { shutdownTelemetry, telemetryMode } from '../../../functions/telemetry/setup.js';

let exitCode = 0;
try {
  if (telemetryMode() !== 'azure-monitor') throw new Error(`telemetry mode is ${telemetryMode()}`);
  const events = JSON.parse(process.env.TELEMETRY_EVENTS ?? '[]') as unknown[];
  for (const event of events) {
    const context = new azureFunctions.InvocationContext({
      invocationId: randomUUID(),
      functionName: 'processImage',
      logHandler: telemetryLogHandler(),
    });
    const outcome = await processImageEvent(event, context);
    console.log(JSON.stringify({ outcome: outcome.status }));
  }
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  await shutdownTelemetry();
  // The exporter keeps a timer alive for about 20 s after shutdown: exit deliberately.
  process.exit(exitCode);
}
