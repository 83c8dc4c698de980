/**
 * A worker thread of the CLI's pool: loads the codecs once, then runs one job per message
 * and posts back its outcome.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadCodecs } from '../index.js';
import type { ProcessOptions } from '../options.js';
import type { InputFile } from './inputs.js';
import { runJob } from './job.js';
import { OutputTree } from './write.js';

const { options, outRoot } = workerData as { options: Partial<ProcessOptions>; outRoot: string };
const port = parentPort;
if (port === null) throw new Error('lib/cli/worker.ts must run as a worker thread');

const [tree] = await Promise.all([OutputTree.open(outRoot), loadCodecs()]);
port.on('message', (file: InputFile) => {
  void runJob(file, options, tree).then((outcome) => port.postMessage(outcome));
});
