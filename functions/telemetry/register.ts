/**
 * Side-effect entry: starts telemetry from the app settings. `functions/index.ts` imports it
 * first, so the providers exist before any other module takes a tracer or meter.
 */
import { createRequire } from 'node:module';
import * as azureFunctionsNamespace from '@azure/functions';
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

// A CommonJS bundle: native ESM exposes its API as `default` only, while loaders that apply
// `__esModule` interop (tsx) expose named exports and no usable default.
const azureFunctions = ((azureFunctionsNamespace as { default?: unknown }).default ??
  azureFunctionsNamespace) as typeof AzureFunctions;
startTelemetry({ azureFunctions: inFunctionsHost() ? azureFunctions : undefined });
