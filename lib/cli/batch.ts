/**
 * Runs the jobs, `concurrency` at a time. Files are read and written here, on the main thread;
 * only the bytes go to the image pool (lib/runner/), whose worker threads do the CPU-bound
 * processing. An image that outlives the time limit has its worker terminated and fails with
 * TIMEOUT; one whose worker dies fails with WORKER_CRASHED. Either way the file gets a failure
 * record, a fresh worker takes the next image, and the batch goes on.
 */
import type { ProcessOptions } from '../options.js';
import { ImagePool } from '../runner/pool.js';
import type { InputFile } from './inputs.js';
import { runJob, type JobOutcome } from './job.js';
import type { OutputTree } from './write.js';

/** How the jobs are run. */
export interface BatchOptions {
  /** Files in parallel, each with a worker thread (at most one per file). */
  concurrency: number;
  /** Time limit per file, in milliseconds, from the moment its worker starts on it. */
  timeoutMs: number;
}

/** Processes every file and returns the outcomes in the order of `files`. */
export async function runAll(
  files: readonly InputFile[],
  options: Partial<ProcessOptions>,
  tree: OutputTree,
  batch: BatchOptions,
  onOutcome: (outcome: JobOutcome) => void = () => {},
): Promise<JobOutcome[]> {
  const outcomes: JobOutcome[] = new Array<JobOutcome>(files.length);
  const lanes = Math.min(batch.concurrency, files.length);
  if (lanes === 0) return outcomes;
  const pool = new ImagePool({ threads: lanes, timeoutMs: batch.timeoutMs });
  const processInPool = pool.process.bind(pool);
  let next = 0;

  const lane = async (): Promise<void> => {
    while (next < files.length) {
      const index = next++;
      const outcome = await runJob(files[index] as InputFile, options, tree, processInPool);
      outcomes[index] = outcome;
      onOutcome(outcome);
    }
  };

  try {
    await Promise.all(Array.from({ length: lanes }, lane));
  } finally {
    await pool.close();
  }
  return outcomes;
}
