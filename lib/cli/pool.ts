/**
 * Runs the jobs, `concurrency` at a time, each in a worker thread (processing is CPU-bound;
 * each worker loads the codecs once and takes one job after another). A job that outlives the
 * time limit has its worker terminated and fails with TIMEOUT; a worker that dies fails its
 * job with WORKER_CRASHED. Either way the job gets a failure record, a fresh worker takes the
 * next job, and the batch goes on.
 */
import { Worker } from 'node:worker_threads';
import { ImageTimeoutError } from '../errors.js';
import type { ProcessOptions } from '../options.js';
import type { InputFile } from './inputs.js';
import { failJob, type JobOutcome } from './job.js';
import type { OutputTree } from './write.js';

/** How the jobs are run. */
export interface PoolOptions {
  /** Worker threads (at most one per file). */
  concurrency: number;
  /** Time limit per file, in milliseconds. */
  timeoutMs: number;
}

/**
 * Starts a worker on lib/cli/worker: the build output normally; from source (under tsx or
 * mocha) a small bootstrap registers tsx's loader in the worker first, since Node 20 does not
 * apply a parent's `--import tsx` hooks to a worker's TypeScript entry point.
 */
function startWorker(workerData: unknown): Worker {
  let worker: Worker;
  if (import.meta.url.endsWith('.ts')) {
    const entry = JSON.stringify(new URL('./worker.ts', import.meta.url).href);
    const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
    const bootstrap = `import(${tsx}).then((tsx) => { tsx.register(); return import(${entry}); });`;
    worker = new Worker(bootstrap, { eval: true, workerData });
  } else {
    worker = new Worker(new URL('./worker.js', import.meta.url), { workerData });
  }
  // A worker's errors are handled per job (below); never let one crash the CLI.
  worker.on('error', () => {});
  return worker;
}

type Attempt =
  { outcome: JobOutcome } | { failure: 'timeout' } | { failure: 'crash'; reason: string };

/** Gives `file` to `worker` and waits for its outcome, its death or the time limit. */
function attempt(worker: Worker, file: InputFile, timeoutMs: number): Promise<Attempt> {
  return new Promise((resolve) => {
    const finish = (result: Attempt): void => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      resolve(result);
    };
    const onMessage = (outcome: JobOutcome): void => finish({ outcome });
    const onError = (error: Error): void => finish({ failure: 'crash', reason: error.message });
    const onExit = (code: number): void =>
      finish({ failure: 'crash', reason: `exit code ${code}` });
    const timer = setTimeout(() => finish({ failure: 'timeout' }), timeoutMs);
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage(file);
  });
}

/** Processes every file and returns the outcomes in the order of `files`. */
export async function runAll(
  files: readonly InputFile[],
  options: Partial<ProcessOptions>,
  tree: OutputTree,
  pool: PoolOptions,
  onOutcome: (outcome: JobOutcome) => void = () => {},
): Promise<JobOutcome[]> {
  const outcomes: JobOutcome[] = new Array<JobOutcome>(files.length);
  let next = 0;

  const lane = async (): Promise<void> => {
    let worker: Worker | undefined;
    while (next < files.length) {
      const index = next++;
      const file = files[index] as InputFile;
      const started = performance.now();
      worker ??= startWorker({ options, outRoot: tree.root });
      const result = await attempt(worker, file, pool.timeoutMs);
      if ('outcome' in result) {
        outcomes[index] = result.outcome;
      } else {
        await worker.terminate();
        worker = undefined;
        const error =
          result.failure === 'timeout'
            ? new ImageTimeoutError(file.name, pool.timeoutMs)
            : new Error(`The worker processing it died: ${result.reason}`);
        outcomes[index] = await failJob(file, tree, error, 'WORKER_CRASHED', started);
      }
      onOutcome(outcomes[index]);
    }
    await worker?.terminate();
  };

  await Promise.all(Array.from({ length: Math.min(pool.concurrency, files.length) }, lane));
  return outcomes;
}
