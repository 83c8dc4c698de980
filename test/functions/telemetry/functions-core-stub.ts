/**
 * Imported first by the host-correlation child: a stand-in for `@azure/functions-core`,
 * the module the Azure Functions Node worker provides to the app (the real worker and host
 * cannot run here). Like the worker, it answers `require('@azure/functions-core')`, collects
 * the registered functions, hooks and programming model, and `invoke` runs a registered function
 * the way the worker does: preInvocation hooks first, then the (possibly re-bound) callback.
 */
import Module from 'node:module';

type Callback = (...args: unknown[]) => unknown;
type Hook = (context: Record<string, unknown>) => unknown;

interface ProgrammingModel {
  getCapabilities(capabilities: Record<string, string>): Promise<Record<string, string>>;
}

const functions = new Map<string, Callback>();
const hooks = new Map<string, Hook[]>();
let programmingModel: ProgrammingModel | undefined;

const functionsCore = {
  setProgrammingModel(model: ProgrammingModel): void {
    programmingModel = model;
  },
  getProgrammingModel(): ProgrammingModel | undefined {
    return programmingModel;
  },
  registerFunction(metadata: { name: string }, callback: Callback) {
    functions.set(metadata.name, callback);
    return { dispose: () => functions.delete(metadata.name) };
  },
  registerHook(name: string, callback: Hook) {
    hooks.set(name, [...(hooks.get(name) ?? []), callback]);
    return {
      dispose: () =>
        hooks.set(
          name,
          (hooks.get(name) ?? []).filter((h) => h !== callback),
        ),
    };
  },
  log(): void {},
};

/** What a test child can do with the stand-in worker. */
export interface FunctionsWorkerStub {
  /** The capabilities the app reports to the host at start (e.g. WorkerOpenTelemetryEnabled). */
  capabilities(): Promise<Record<string, string>>;
  /** Invokes a registered function as the worker does, with the host's invocation context. */
  invoke(name: string, invocationContext: unknown, ...inputs: unknown[]): Promise<unknown>;
}

const stub: FunctionsWorkerStub = {
  capabilities: async () => (await programmingModel?.getCapabilities({})) ?? {},
  invoke: async (name, invocationContext, ...inputs) => {
    const callback = functions.get(name);
    if (callback === undefined) throw new Error(`no function ${name} registered`);
    const context: Record<string, unknown> = {
      invocationContext,
      functionCallback: callback,
      inputs,
      hookData: {},
      appHookData: {},
    };
    for (const hook of hooks.get('preInvocation') ?? []) await hook(context);
    return (context.functionCallback as Callback)(...inputs, invocationContext);
  },
};

(globalThis as { functionsWorkerStub?: FunctionsWorkerStub }).functionsWorkerStub = stub;

const loader = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
const load = loader._load;
loader._load = function (request: string, ...rest: unknown[]) {
  if (request === '@azure/functions-core') return functionsCore;
  return load.call(this, request, ...rest);
};
