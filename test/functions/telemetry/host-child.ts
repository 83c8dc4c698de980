/**
 * Child process of host-correlation.test.ts. Installs the `functions-core-stub.ts` stand-in
 * first, so the app believes it runs in the Functions worker. Loads the function app's entry module,
 * reports the capabilities it announces, invokes `processImage` with the host's trace context
 * (TELEMETRY_TRACEPARENT) for the event in TELEMETRY_EVENTS, then flushes and exits.
 */
import './functions-core-stub.js';
// Then the entry module, as the worker loads it.
import '../../../functions/index.js';
import { azureFunctions } from '../../../functions/azure-functions.js';
import { shutdownTelemetry } from '../../../functions/telemetry/setup.js';
import type { FunctionsWorkerStub } from './functions-core-stub.js';

const worker = (globalThis as { functionsWorkerStub?: FunctionsWorkerStub }).functionsWorkerStub;

let exitCode = 0;
try {
  if (worker === undefined) throw new Error('the functions-core stand-in is not preloaded');
  console.log(JSON.stringify({ capabilities: await worker.capabilities() }));
  const [event] = JSON.parse(process.env.TELEMETRY_EVENTS ?? '[]') as unknown[];
  const context = new azureFunctions.InvocationContext({
    invocationId: 'host-invocation-1',
    functionName: 'processImage',
    traceContext: { traceParent: process.env.TELEMETRY_TRACEPARENT, attributes: {} },
    logHandler: () => undefined,
  });
  await worker.invoke('processImage', context, event);
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  await shutdownTelemetry();
  process.exit(exitCode);
}
