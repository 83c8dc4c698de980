/**
 * Benchmark child: ours. Loads the compiled library (`dist/`, as the deployed function does)
 * and runs `processImage` with its default options (the resized image and the thumbnail); the
 * per-stage timings come from the result's metadata.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ProcessOptions } from '../lib/options.js';
import type { EncodedRendition, ProcessResult } from '../lib/types.js';
import { serveChild, type JobResult } from './harness.js';

/** The part of the library's surface the benchmark uses. */
interface Library {
  processImage(bytes: Uint8Array, options?: Partial<ProcessOptions>): Promise<ProcessResult>;
}

function image(encoded: EncodedRendition | undefined) {
  if (!encoded) throw new Error('a default rendition is missing from the result');
  return {
    format: encoded.format,
    width: encoded.width,
    height: encoded.height,
    bytes: encoded.bytes.length,
    data: encoded.bytes,
  };
}

await serveChild(async ({ input, lib }) => {
  if (!lib) throw new Error('--lib (URL of the compiled library) is required');
  const { processImage } = (await import(lib)) as Library;
  const bytes = await readFile(input);
  const name = basename(input);
  return async (): Promise<JobResult> => {
    const result = await processImage(bytes, { name });
    const rendition = (container: string) =>
      result.renditions.find((candidate) => candidate.container === container);
    return {
      output: image(rendition('output')),
      thumbnail: image(rendition('thumbnails')),
      stagesMs: result.metadata.timingsMs,
    };
  };
});
