/**
 * Side-effect entry: starts telemetry from the app settings. `functions/index.ts` imports it
 * first, so the providers exist before any other module takes a tracer or meter.
 */
import { createRequire } from 'node:module';
// CommonJS package: under native ESM its API is the default export (named exports are not found).
import azureFunctionsDefault from '@azure/functions';
import type * as AzureFunctions from '@azure/functions';
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

const azureFunctions = azureFunctionsDefault as unknown as typeof AzureFunctions;
startTelemetry({ azureFunctions: inFunctionsHost() ? azureFunctions : undefined });
