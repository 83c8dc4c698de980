/**
 * Benchmark child: the cost of each output format. A fresh process loads the compiled library
 * and processes one 800x600 photo-like JPEG with a single 800x600 rendition in the format
 * asked for, `warmup` times untimed (the first use compiles the encoder's WASM) then `runs`
 * times; it reports the encode stage's time from each run's `metadata.timingsMs`, so decoding
 * and resizing are left out, and the size of what it wrote.
 */
import { readFile } from 'node:fs/promises';
import type { ProcessOptions } from '../lib/options.js';
import type { ProcessResult } from '../lib/types.js';

interface Library {
  processImage(bytes: Uint8Array, options?: Partial<ProcessOptions>): Promise<ProcessResult>;
}

/** What the child prints: one JSON line. */
export interface EncodeRun {
  format: string;
  width: number;
  height: number;
  bytes: number;
  /** The encode stage's milliseconds, one per timed run. */
  encodeMs: number[];
}

const [lib, input, format, runs, warmup] = process.argv.slice(2);
if (!lib || !input || !format || !runs || !warmup) {
  throw new Error('usage: child-encode <library URL> <input path> <format> <runs> <warmup>');
}
const { processImage } = (await import(lib)) as Library;
const bytes = await readFile(input);
const options: Partial<ProcessOptions> = {
  name: 'encode.jpg',
  renditions: [
    {
      container: 'encode',
      width: 800,
      height: 600,
      fit: 'inside',
      format: format as ProcessOptions['renditions'][number]['format'],
      quality: 82,
    },
  ],
};
const encodeMs: number[] = [];
let last: ProcessResult | undefined;
for (let run = 0; run < Number(warmup) + Number(runs); run++) {
  last = await processImage(bytes, options);
  if (run >= Number(warmup)) encodeMs.push(last.metadata.timingsMs.encode ?? NaN);
}
const rendition = last!.renditions[0]!;
const report: EncodeRun = {
  format: rendition.format,
  width: rendition.width,
  height: rendition.height,
  bytes: rendition.bytes.length,
  encodeMs,
};
process.stdout.write(`${JSON.stringify(report)}\n`);
