/**
 * A worker module for the pool tests: ends its thread without an answer (as an out-of-memory
 * abort would) for an image named `crash` or a task with the field `crash`; with the field
 * `faultyStage`, installs a tracer whose span for that stage throws a TypeError (see
 * faulty-tracer.ts); and runs the generic task.
 */
import processInWorker, { type WorkerInput } from '../../../lib/runner/worker.js';
import { installFaultyTracer } from '../faulty-tracer.js';

export default function crashOrProcess(
  input: WorkerInput & { crash?: boolean; faultyStage?: string },
): ReturnType<typeof processInWorker> {
  if (input.crash === true || input.options.name === 'crash') process.exit(70);
  if (input.faultyStage !== undefined) installFaultyTracer(input.faultyStage);
  return processInWorker(input);
}
