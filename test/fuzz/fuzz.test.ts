/**
 * Fuzzes the imaging core with thousands of mutated versions of the seed images: every case
 * must end in a correct result or a typed ImageError with a known code (never INTERNAL, which
 * is a bug), within the per-image time limit, without crashing the worker that ran it. Deterministic: the run seed (FUZZ_SEED) fixes every case, and
 * a failure names the case seed to reproduce it alone (FUZZ_CASE).
 *
 * CI runs a bounded sample; for a longer local run:
 *   FUZZ_ITERATIONS=50000 FUZZ_SECONDS=1800 FUZZ_SEED=$RANDOM npx mocha test/fuzz/fuzz.test.ts
 */
import { expect } from 'chai';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ImageWorkerPool } from '../../functions/limits/pool.js';
import { ImageError, type ImageErrorCode } from '../../lib/errors.js';
import { readExif } from '../../lib/exif.js';
import { guardInput } from '../../lib/guard.js';
import { decodeScaledJpeg, decodeScaledJpegPlanes, type JpegScale } from '../../lib/jpeg/index.js';
import { resizePlanes } from '../../lib/resize.js';
import { DEFAULT_OPTIONS } from '../../lib/options.js';
import { sniffFormat } from '../../lib/sniff.js';
import type { ExifInfo, ProcessResult } from '../../lib/types.js';
import { caseSeed, makeCase, type FuzzCase } from './mutate.js';
import { loadSeeds, type Seed } from './seeds.js';

const env = process.env;
const RUN_SEED = Number(env.FUZZ_SEED ?? 20260525) >>> 0;
const ITERATIONS = Number(env.FUZZ_ITERATIONS ?? 2000);
const SECONDS = Number(env.FUZZ_SECONDS ?? 30);
/**
 * The per-image time limit of the fuzz run: seeds are tiny, so anything this slow is a decoder
 * stuck in a loop. The pool stops it (promise 3) and it ends as a TIMEOUT error, which passes
 * but is listed; FUZZ_STRICT=1 fails on it instead.
 */
const TIMEOUT_MS = Number(env.FUZZ_TIMEOUT_MS ?? 5_000);
const STRICT = env.FUZZ_STRICT === '1';
const ONLY_CASE = env.FUZZ_CASE === undefined ? undefined : Number(env.FUZZ_CASE) >>> 0;
const FAILURES_DIR = path.resolve('.local', 'fuzz-failures');

const CODES: readonly ImageErrorCode[] = [
  'EMPTY_INPUT',
  'UNSUPPORTED_FORMAT',
  'TOO_LARGE',
  'TOO_MANY_PIXELS',
  'CORRUPT_IMAGE',
  'TIMEOUT',
];

/** The case seeds of this run: one given case, or ITERATIONS derived from the run seed. */
function caseSeeds(count: number): number[] {
  if (ONLY_CASE !== undefined) return [ONLY_CASE];
  return Array.from({ length: count }, (_, i) => caseSeed(RUN_SEED, i));
}

interface Finding {
  seed: number;
  base: string;
  mutations: string[];
  problem: string;
}

/** Keeps the bytes of a failing case and says how to replay it. */
function record(findings: Finding[], fuzzCase: FuzzCase, problem: string, file: string): void {
  mkdirSync(FAILURES_DIR, { recursive: true });
  writeFileSync(path.join(FAILURES_DIR, `${file}-${fuzzCase.seed}.bin`), fuzzCase.bytes);
  findings.push({
    seed: fuzzCase.seed,
    base: fuzzCase.base,
    mutations: fuzzCase.mutations,
    problem,
  });
}

function report(findings: Finding[], file: string): string {
  return findings
    .slice(0, 20)
    .map(
      (f) =>
        `FUZZ_CASE=${f.seed} npx mocha ${file}  # ${f.base} ${f.mutations.join('+')}: ${f.problem}`,
    )
    .join('\n');
}

/** What is wrong with a successful result, if anything. */
/**
 * The default renditions, asked to keep animations moving: every other case of the processImage
 * run takes these, so the animation path (lib/animation/) is fuzzed too; a still image gives the
 * same results either way.
 */
const ANIMATED_RENDITIONS = DEFAULT_OPTIONS.renditions.map((rendition) => ({
  ...rendition,
  animated: true,
}));

function checkResult(result: ProcessResult): string | undefined {
  const { renditions, metadata } = result;
  if (metadata.status !== 'succeeded') return `status ${String(metadata.status)}`;
  const asked = DEFAULT_OPTIONS.renditions;
  if (renditions.length !== asked.length) return `${renditions.length} renditions`;
  for (const [index, image] of renditions.entries()) {
    const box = asked[index]!;
    const { width, height } = image;
    if (image.container !== box.container) return `rendition ${index} in ${image.container}`;
    if (width > box.width || height > box.height || width < 1 || height < 1) {
      return `${image.container} ${width}x${height} outside its ${box.width}x${box.height} box`;
    }
    if (sniffFormat(image.bytes) !== image.format) {
      return `${image.container}/${image.name} is not ${image.format}`;
    }
  }
  return undefined;
}

/** What is wrong with EXIF read from a damaged file, if anything: values must stay sane. */
function checkExif(exif: ExifInfo | null, orientation: number): string | undefined {
  if (!Number.isInteger(orientation) || orientation < 1 || orientation > 8) {
    return `orientation ${orientation}`;
  }
  if (exif === null) return undefined;
  const { gps, takenAt } = exif;
  if (gps && !(Math.abs(gps.latitude) <= 90 && Math.abs(gps.longitude) <= 180)) {
    return `GPS ${gps.latitude},${gps.longitude}`;
  }
  if (takenAt !== undefined && Number.isNaN(Date.parse(takenAt))) return `takenAt ${takenAt}`;
  for (const [key, value] of Object.entries(exif)) {
    if (typeof value === 'number' && !Number.isFinite(value)) return `${key} ${value}`;
  }
  return undefined;
}

/**
 * What is wrong with an error, if anything: it must be an ImageError with a known code. INTERNAL
 * is a bug (malformed data must end in CORRUPT_IMAGE or another typed refusal): reported with
 * where the bug was thrown.
 */
function checkError(error: unknown): string | undefined {
  if (!(error instanceof ImageError)) {
    return `threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
  }
  if (error.code === 'INTERNAL') {
    const cause = error.cause instanceof Error ? error.cause.stack : String(error.cause);
    return `INTERNAL (a bug): ${error.message}\n${cause}`;
  }
  if (error.code === 'TIMEOUT') return STRICT ? `hung for more than ${TIMEOUT_MS} ms` : undefined;
  if (!CODES.includes(error.code)) return `unexpected code ${error.code}: ${error.message}`;
  return undefined;
}

describe('fuzz: hostile and damaged images', function () {
  this.timeout((SECONDS + 120) * 1000);
  let seeds: Seed[];

  before(async () => {
    seeds = await loadSeeds();
  });

  it('sniff and guard answer every mutated header with a format, a size or a typed error', () => {
    const file = 'test/fuzz/fuzz.test.ts';
    const findings: Finding[] = [];
    const deadline = Date.now() + SECONDS * 1000;
    let cases = 0;
    for (const seed of caseSeeds(ITERATIONS * 5)) {
      if (Date.now() > deadline) break;
      const fuzzCase = makeCase(seed, seeds);
      cases += 1;
      try {
        const format = sniffFormat(fuzzCase.bytes);
        if (format === undefined) continue;
        const { width, height } = guardInput(fuzzCase.bytes, format, DEFAULT_OPTIONS);
        if (!(width >= 1 && height >= 1 && width * height <= DEFAULT_OPTIONS.maxPixels)) {
          record(findings, fuzzCase, `guard passed ${width}x${height}`, 'guard');
        }
      } catch (error) {
        const problem = checkError(error);
        if (problem) record(findings, fuzzCase, problem, 'guard');
      }
    }
    expect(cases).to.be.greaterThan(0);
    expect(findings, `\n${report(findings, file)}\n`).to.deep.equal([]);
  });

  it('the EXIF reader answers every mutated file with EXIF or none, never an error', async () => {
    const file = 'test/fuzz/fuzz.test.ts';
    const findings: Finding[] = [];
    const withExif = seeds.filter((s) => /exif|orientation|\.tif|webp/.test(s.name));
    const deadline = Date.now() + (SECONDS / 3) * 1000;
    let cases = 0;
    for (const seed of caseSeeds(ITERATIONS * 2)) {
      if (Date.now() > deadline) break;
      const fuzzCase = makeCase(seed, withExif);
      const format = sniffFormat(fuzzCase.bytes);
      if (format === undefined) continue;
      cases += 1;
      try {
        const { exif, orientation } = await readExif(fuzzCase.bytes, format, true);
        const problem = checkExif(exif, orientation);
        if (problem) record(findings, fuzzCase, problem, 'exif');
      } catch (error) {
        record(findings, fuzzCase, `readExif threw ${String(error)}`, 'exif');
      }
    }
    expect(cases).to.be.greaterThan(0);
    expect(findings, `\n${report(findings, file)}\n`).to.deep.equal([]);
  });

  /**
   * The planar decode the pipeline uses for shrink-on-load, then its plane resize: a throw, an
   * 'internal' fallback or a wrong-sized resize is a finding.
   */
  let planarDecodes = 0;
  function planarProblem(bytes: Uint8Array, scale: JpegScale): string | undefined {
    try {
      const result = decodeScaledJpegPlanes(bytes, {
        scale,
        maxPixels: 1 << 22,
        minPlaneSize: { width: 3, height: 2 },
      });
      if (!result.ok) {
        return result.reason === 'internal'
          ? `planes: internal at ${scale}/8: ${result.detail}`
          : undefined;
      }
      planarDecodes += 1;
      const target = { width: Math.max(1, result.image.width >> 1), height: 1 };
      const resized = resizePlanes(result.image, target);
      if (resized.data.length !== target.width * target.height * 4) {
        return `planes: resized to ${resized.width}x${resized.height} at ${scale}/8`;
      }
      return undefined;
    } catch (error) {
      return `planes: threw at ${scale}/8: ${String(error)}`;
    }
  }

  it('lib/jpeg answers every mutated JPEG at every scale (1/8 to 8/8, 3/8 too) with a bitmap or planes of the declared size, or a reasoned fallback', () => {
    // processImage reaches lib/jpeg only for photos larger than the box, which the seeds are
    // not; so the scaled decoder is driven here directly, inline, at each of its scales. Seeds:
    // the JPEG seeds plus lib/jpeg's own fixtures (4:2:0 and 6x6 chroma at 3/8, 4:2:2, 4:4:0,
    // 4:1:1, 3x1, restart markers, multi-scan). A thrown error, an 'internal' fallback (an
    // unchecked index or a bug caught by decodeScaledJpeg), a wrong size or a decode slower
    // than the per-image limit is a finding.
    const file = 'test/fuzz/fuzz.test.ts';
    const findings: Finding[] = [];
    const scales: readonly JpegScale[] = [1, 2, 3, 4, 8];
    const fixtures = path.resolve('test', 'lib', 'jpeg', 'fixtures');
    const jpegs = [
      ...seeds.filter((s) => sniffFormat(s.bytes) === 'jpeg'),
      ...readdirSync(fixtures)
        .filter((name) => name.endsWith('.jpg'))
        .map((name) => ({ name, bytes: new Uint8Array(readFileSync(path.join(fixtures, name))) })),
    ];
    const deadline = Date.now() + (SECONDS / 3) * 1000;
    const outcomes = new Map<string, number>();
    const decodedAt = new Map<JpegScale, number>();
    let cases = 0;
    for (const seed of caseSeeds(ITERATIONS)) {
      if (Date.now() > deadline) break;
      const fuzzCase = makeCase(seed, jpegs);
      cases += 1;
      for (const scale of scales) {
        const started = Date.now();
        let problem: string | undefined;
        let outcome: string;
        try {
          // A pixel cap like the guard's, scaled to the tiny seeds: a mutated header that
          // declares a huge frame ends as a 'dimensions' fallback instead of a long decode.
          const result = decodeScaledJpeg(fuzzCase.bytes, { scale, maxPixels: 1 << 22 });
          if (result.ok) {
            outcome = 'decoded';
            decodedAt.set(scale, (decodedAt.get(scale) ?? 0) + 1);
            const { width, height, sourceWidth, sourceHeight, data } = result.image;
            const expected = [
              Math.ceil((sourceWidth * scale) / 8),
              Math.ceil((sourceHeight * scale) / 8),
            ];
            if (
              width !== expected[0] ||
              height !== expected[1] ||
              data.length !== width * height * 4
            ) {
              problem = `${width}x${height} (${data.length} bytes) at ${scale}/8 of ${sourceWidth}x${sourceHeight}`;
            }
          } else {
            outcome = result.reason;
            if (result.reason === 'internal') problem = `internal at ${scale}/8: ${result.detail}`;
          }
        } catch (error) {
          outcome = 'threw';
          problem = `threw at ${scale}/8: ${String(error)}`;
        }
        if (!problem && scale < 8) problem = planarProblem(fuzzCase.bytes, scale);
        const elapsed = Date.now() - started;
        if (!problem && elapsed > TIMEOUT_MS) problem = `took ${elapsed} ms at ${scale}/8`;
        if (problem) record(findings, fuzzCase, problem, 'jpeg-scaled');
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
    }
    console.log(`      ${cases} cases x ${scales.length} scales:`, Object.fromEntries(outcomes));
    expect(cases).to.be.greaterThan(0);
    // Damaged files decode at every scale, so the cases reach each IDCT, not only the headers.
    for (const scale of scales) expect(decodedAt.get(scale) ?? 0, `${scale}/8`).to.be.above(0);
    expect(planarDecodes, 'planar decodes').to.be.above(0);
    expect(findings, `\n${report(findings, file)}\n`).to.deep.equal([]);
  });

  it('processImage ends every mutated image in a correct result or a typed error, in time', async () => {
    const file = 'test/fuzz/fuzz.test.ts';
    const findings: Finding[] = [];
    const hangs: Finding[] = [];
    const pool = new ImageWorkerPool({ threads: 2, timeoutMs: TIMEOUT_MS });
    const outcomes = new Map<string, number>();
    const deadline = Date.now() + SECONDS * 1000;
    const queue = caseSeeds(ITERATIONS);
    let cases = 0;
    const runOne = async (seed: number): Promise<void> => {
      const fuzzCase = makeCase(seed, seeds);
      cases += 1;
      let outcome: string;
      try {
        const result = await pool.process(fuzzCase.bytes, {
          name: `fuzz-${seed}`,
          ...(seed % 2 === 1 ? { renditions: ANIMATED_RENDITIONS } : {}),
        });
        outcome = 'succeeded';
        const problem = checkResult(result);
        if (problem) record(findings, fuzzCase, problem, 'process');
      } catch (error) {
        outcome = error instanceof ImageError ? error.code : 'crash';
        const problem = checkError(error);
        if (problem) record(findings, fuzzCase, problem, 'process');
        else if (outcome === 'TIMEOUT')
          record(hangs, fuzzCase, 'stopped by the time limit', 'hang');
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    };
    const lane = async (): Promise<void> => {
      for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) {
        if (Date.now() > deadline) return;
        await runOne(seed);
      }
    };
    try {
      await Promise.all([lane(), lane(), lane()]);
    } finally {
      await pool.close();
    }
    console.log(`      ${cases} cases (seed ${RUN_SEED}):`, Object.fromEntries(outcomes));
    if (hangs.length > 0) {
      console.log(`      decoder loops stopped by the time limit:\n${report(hangs, file)}`);
    }
    expect(cases).to.be.greaterThan(0);
    expect(findings, `\n${report(findings, file)}\n`).to.deep.equal([]);
  });
});
