/**
 * The function app's entry point (package.json `main` → dist/functions/index.js): validates the
 * settings when the host loads the app (a bad setting fails here, not on the first event),
 * builds the app once and registers the Event Grid function `processImage` and the HTTP
 * function `health`.
 */
// First: telemetry starts before any other module takes a tracer or meter.
import './telemetry/register.js';
import { createApp } from './app.js';
import { azureFunctions as functions } from './azure-functions.js';
import { loadConfig } from './config.js';

const app = createApp(loadConfig());

/** The app's Event Grid handler (exported for the compiled-app test and scripts). */
export const processImageEvent = app.processImage;

functions.app.eventGrid('processImage', {
  // The host needs no return value; the outcome is logged and traced inside.
  handler: async (event, context) => {
    await app.processImage(event, context);
  },
});

functions.app.http('health', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'health',
  handler: app.health,
});
