/**
 * The `@azure/functions` module, loaded with `require`. It is CommonJS: under native ESM its
 * named exports are not found, and a default import is `undefined` under tsx (which the tests
 * and `npm start` use); `require` gives the same single instance in both.
 */
import { createRequire } from 'node:module';

type AzureFunctions = typeof import('@azure/functions');

/** `app`, `InvocationContext` and the rest of the programming model. */
export const azureFunctions = createRequire(import.meta.url)('@azure/functions') as AzureFunctions;
