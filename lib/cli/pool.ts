/**
 * Runs the jobs, `concurrency` at a time. Processing is CPU-bound, so parallel jobs run in
 * worker threads (each loads the codecs once); with a concurrency of 1 they run in this
 * thread. A worker that dies fails its job and is replaced; the batch goes on.
 */
import { Worker } from 'node:worker_threads';
import { loadCodecs } from '../index.js';
import type { ProcessOptions } from '../options.js';
import type { InputFile } from './inputs.js';
import { runJob, type JobOutcome } from './job.js';
import type { OutputTree } from './write.js';

/**
 * Starts a worker on lib/cli/worker: the build output normally; from source (under tsx or
 * mocha) a small bootstrap registers tsx's loader in the worker first, since Node 20 does not
 * apply a parent's `--import tsx` hooks to a worker's TypeScript entry point.
 */
function startWorker(workerData: unknown): Worker {
  if (!import.meta.url.endsWith('.ts')) {
    return new Worker(new URL('./worker.js', import.meta.url), { workerData });
  }
  const entry = JSON.stringify(new URL('./worker.ts', import.meta.url).href);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const bootstrap = `import(${tsx}).then((tsx) => { tsx.register(); return import(${entry}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/** Processes every file and returns the outcomes in the order of `files`. */
export async function runAll(
  files: readonly InputFile[],
  options: Partial<ProcessOptions>,
  tree: OutputTree,
  concurrency: number,
  onOutcome: (outcome: JobOutcome) => void = () => {},
): Promise<JobOutcome[]> {
  const outcomes: JobOutcome[] = new Array<JobOutcome>(files.length);
  const threads = Math.min(concurrency, files.length);
  if (threads <= 1) {
    await loadCodecs();
    for (const [index, file] of files.entries()) {
      outcomes[index] = await runJob(file, options, tree);
      onOutcome(outcomes[index]);
    }
    return outcomes;
  }

  let next = 0;
  const settle = (index: number, outcome: JobOutcome): void => {
    outcomes[index] = outcome;
    onOutcome(outcome);
  };
  const lane = async (): Promise<void> => {
    while (next < files.length) {
      await new Promise<void>((resolve) => {
        const worker = startWorker({ options, outRoot: tree.root });
        let current = -1;
        const feed = (): void => {
          if (next >= files.length) {
            worker.removeAllListeners();
            void worker.terminate().then(() => resolve());
            return;
          }
          current = next++;
          worker.postMessage(files[current]);
        };
        worker.on('message', (outcome: JobOutcome) => {
          settle(current, outcome);
          current = -1;
          feed();
        });
        const crash = (reason: string): void => {
          worker.removeAllListeners();
          worker.on('error', () => {});
          if (current >= 0) {
            const file = files[current] as InputFile;
            settle(current, {
              name: file.name,
              source: file.path,
              status: 'failed',
              ms: 0,
              error: {
                code: 'WORKER_CRASHED',
                message: `The worker processing it died: ${reason}`,
              },
            });
          }
          void worker.terminate().then(() => resolve());
        };
        worker.on('error', (error) => crash(error.message));
        worker.on('exit', (code) => crash(`exit code ${code}`));
        feed();
      });
    }
  };
  await Promise.all(Array.from({ length: threads }, lane));
  return outcomes;
}
