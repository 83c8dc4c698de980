/**
 * Benchmark child: the reference, sharp (libvips) doing our job (see sharp-job.ts).
 */
import { readFile } from 'node:fs/promises';
import { serveChild } from './harness.js';
import { sharpJob } from './sharp-job.js';

await serveChild(async ({ input }) => {
  const bytes = await readFile(input);
  return () => sharpJob(bytes);
});
