/**
 * Benchmark child: the cold start. A fresh process that loads one side (ours: the compiled
 * library; sharp: the reference job and sharp with it), processes one image into the default
 * renditions and exits, as a Flex Consumption instance does on its first event. The parent
 * times the whole process; this reports how long the import and the first image took inside.
 *
 * Usage: `child-cold ours <input> <library URL>` or `child-cold sharp <input>`.
 */
import { readFile } from 'node:fs/promises';
import type { ProcessOptions } from '../lib/options.js';
import type { ProcessResult } from '../lib/types.js';

interface Library {
  processImage(bytes: Uint8Array, options?: Partial<ProcessOptions>): Promise<ProcessResult>;
}

/** Loads one side and returns its job: one image in, the size of its first output back. */
async function load(side: string, lib: string | undefined) {
  if (side === 'ours' && lib) {
    const { processImage } = (await import(lib)) as Library;
    return async (bytes: Uint8Array) =>
      (await processImage(bytes, { name: 'cold.jpg' })).renditions[0]?.bytes.length;
  }
  if (side === 'sharp') {
    const { sharpJob } = await import('./sharp-job.js');
    return async (bytes: Uint8Array) => (await sharpJob(bytes)).output.bytes;
  }
  throw new Error('usage: child-cold ours <input> <library URL> | child-cold sharp <input>');
}

const [side = '', input, lib] = process.argv.slice(2);
if (!input) throw new Error('usage: child-cold <ours|sharp> <input> [library URL]');
// performance.now() counts from process start, so it includes Node's own boot.
const booted = performance.now();
const job = await load(side, lib);
const imported = performance.now();
const outputBytes = await job(await readFile(input));
const done = performance.now();
process.stdout.write(
  `${JSON.stringify({
    bootMs: booted,
    importMs: imported - booted,
    firstImageMs: done - imported,
    outputBytes,
  })}\n`,
);
