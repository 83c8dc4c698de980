/**
 * How the local deliverer reaches the handler. Today: a call in this process, with the
 * invocation context the Functions host would build for an Event Grid trigger (its retry
 * count included), so the handler cannot tell it from Azure.
 */
import { randomUUID } from 'node:crypto';
import type { LogHandler } from '@azure/functions';
import { azureFunctions as functions } from '../azure-functions.js';
import type { EventHandler } from '../process-blob.js';
import type { DeliveryTransport } from './deliverer.js';

/** Options of `inProcessTransport`. */
export interface InProcessTransportOptions {
  handler: EventHandler;
  /** Where the handler's `context.log` goes. Default: nowhere. */
  logHandler?: LogHandler;
}

/** Delivers each event by calling `handler` directly, as the `processImage` function. */
export function inProcessTransport(options: InProcessTransportOptions): DeliveryTransport {
  const logHandler = options.logHandler ?? (() => undefined);
  return (event, { attempt, maxAttempts }) => {
    const context = new functions.InvocationContext({
      invocationId: randomUUID(),
      functionName: 'processImage',
      logHandler,
      retryContext: { retryCount: attempt - 1, maxRetryCount: maxAttempts - 1 },
    });
    return options.handler(event, context);
  };
}
