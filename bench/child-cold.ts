/**
 * Benchmark child: the cold start. A fresh process that loads the compiled library, processes
 * one image and exits, as a Flex Consumption instance does on its first event. The parent
 * times the whole process; this reports how long the import and the first image took inside.
 */
import { readFile } from 'node:fs/promises';
import type { ProcessOptions } from '../lib/options.js';
import type { ProcessResult } from '../lib/types.js';

interface Library {
  processImage(bytes: Uint8Array, options?: Partial<ProcessOptions>): Promise<ProcessResult>;
}

const [lib, input] = process.argv.slice(2);
if (!lib || !input) throw new Error('usage: child-cold <library URL> <input path>');
// performance.now() counts from process start, so it includes Node's own boot.
const booted = performance.now();
const { processImage } = (await import(lib)) as Library;
const imported = performance.now();
const result = await processImage(await readFile(input), { name: 'cold.jpg' });
const done = performance.now();
process.stdout.write(
  `${JSON.stringify({
    bootMs: booted,
    importMs: imported - booted,
    firstImageMs: done - imported,
    outputBytes: result.renditions[0]?.bytes.length,
  })}\n`,
);
