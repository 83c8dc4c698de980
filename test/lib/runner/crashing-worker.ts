/**
 * A worker module for the pool tests: ends its thread without an answer (as an out-of-memory
 * abort would) for an image named `crash` or a task with the field `crash`, and runs the
 * generic task for any other.
 */
import processInWorker, { type WorkerInput } from '../../../lib/runner/worker.js';

export default function crashOrProcess(
  input: WorkerInput & { crash?: boolean },
): ReturnType<typeof processInWorker> {
  if (input.crash === true || input.options.name === 'crash') process.exit(70);
  return processInWorker(input);
}
