/**
 * `npm run bench:heic`: a 12 MP HEIC through our pipeline, timed against the same picture as a
 * JPEG through our own JPEG path (sharp's prebuilt binaries cannot read HEIC, so there is no
 * sharp side). The HEIC is the bench's 12 MP photo-like JPEG re-encoded by libheif's `heif-enc`
 * (Debian: `apt-get install libheif-examples`), cached beside the other inputs. Both run in this
 * process, one after the other, after a warm-up each; the figures are medians.
 *   npm run bench:heic -- --runs 7
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { processImage } from '../lib/index.js';
import { CASES } from './cases.js';
import { ensureInput } from './inputs.js';
import { median, medianByKey, round } from './stats.js';

const INPUTS = join('.bench', 'inputs');
const runsArgument = process.argv.indexOf('--runs');
const RUNS = runsArgument > 0 ? Number(process.argv[runsArgument + 1]) : 5;

/** The 12 MP HEIC, made from the 12 MP JPEG once (x265 at quality 80, 4:2:0). */
function ensureHeic(jpeg: string): string {
  const heic = jpeg.replace(/\.jpg$/, '.heic');
  if (existsSync(heic)) return heic;
  try {
    execFileSync('heif-enc', ['-q', '80', jpeg, '-o', heic], { stdio: 'ignore' });
  } catch (error) {
    throw new Error('heif-enc failed or is missing (apt-get install libheif-examples)', {
      cause: error,
    });
  }
  return heic;
}

/** Median wall time and stage times of `RUNS` runs after one warm-up. */
async function measure(path: string): Promise<{ totalMs: number; stagesMs: object }> {
  const bytes = new Uint8Array(readFileSync(path));
  const name = path.split('/').pop()!;
  await processImage(bytes, { name });
  const totals: number[] = [];
  const stages: Record<string, number>[] = [];
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    const result = await processImage(bytes, { name });
    totals.push(performance.now() - started);
    stages.push(result.metadata.timingsMs);
  }
  return { totalMs: round(median(totals), 1), stagesMs: medianByKey(stages) };
}

const jpegCase = CASES.find((candidate) => candidate.name === 'jpeg-12mp')!;
const jpeg = await ensureInput(jpegCase, INPUTS);
const heic = ensureHeic(jpeg);
const results = {
  heic: { bytes: readFileSync(heic).length, ...(await measure(heic)) },
  jpeg: { bytes: readFileSync(jpeg).length, ...(await measure(jpeg)) },
};
console.log(`12 MP (4000x3000), default renditions, median of ${RUNS} runs after a warm-up`);
for (const [format, result] of Object.entries(results)) {
  console.log(
    `${format.padEnd(5)} ${String(result.bytes).padStart(9)} B  ${String(result.totalMs).padStart(7)} ms  ${JSON.stringify(result.stagesMs)}`,
  );
}
console.log(`heic/jpeg: ${round(results.heic.totalMs / results.jpeg.totalMs, 2)}x`);
