/**
 * Side-effect entry: starts telemetry from the app settings. `functions/index.ts` imports it
 * first, so the providers exist before any other module takes a tracer or meter.
 */
import { createRequire } from 'node:module';
import { azureFunctions } from '../azure-functions.js';
import { startTelemetry } from './setup.js';

/** True inside the Functions host's Node worker, which provides `@azure/functions-core`. */
function inFunctionsHost(): boolean {
  try {
    createRequire(import.meta.url)('@azure/functions-core');
    return true;
  } catch {
    return false;
  }
}

startTelemetry({ azureFunctions: inFunctionsHost() ? azureFunctions : undefined });
