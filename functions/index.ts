/**
 * The function app's entry point (package.json `main` → dist/functions/index.js): registers
 * the Event Grid function `processImage` and the HTTP function `health`.
 */
// First: telemetry starts before any other module takes a tracer or meter.
import './telemetry/register.js';
import { azureFunctions as functions } from './azure-functions.js';
import { health } from './health.js';
import { processImageEvent } from './process-blob.js';

export { health } from './health.js';
export { processImageEvent } from './process-blob.js';

functions.app.eventGrid('processImage', {
  // The host needs no return value; the outcome is logged and traced inside.
  handler: async (event, context) => {
    await processImageEvent(event, context);
  },
});

functions.app.http('health', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'health',
  handler: health,
});
