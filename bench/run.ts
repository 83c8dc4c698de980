/**
 * `npm run bench`: our library against sharp on generated photo-like images, each side in its
 * own child process with their runs interleaved, plus the cold start of a fresh process and the
 * encode time of an 800x600 rendition in each output format. Progress goes to stderr; stdout
 * carries only the report (tables, or one JSON object with `--json`).
 */
import { existsSync } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { parseBenchArgs, type BenchArgs } from './args.js';
import {
  COLD_START_CASE,
  ENCODE_CASE,
  ENCODE_FORMATS,
  selectCases,
  type BenchCase,
} from './cases.js';
import type { EncodeRun } from './child-encode.js';
import { buildChildren, buildLibrary, parseChildJson, runNode } from './children.js';
import { caseCost, costModel } from './cost.js';
import { measureFidelity, type Fidelity } from './fidelity.js';
import { writeHtmlReport } from './html.js';
import { ensureInput } from './inputs.js';
import { measurePair } from './measure.js';
import { comparePsnr } from './quality.js';
import {
  measured,
  renderJson,
  renderMarkdown,
  renderText,
  type BenchResult,
  type CaseResult,
  type ColdSide,
  type ColdStartResult,
  type EncodeResult,
  type SideFailure,
} from './report.js';
import { median, ratio } from './stats.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WORK = join(ROOT, '.bench');
/** A child that takes longer than this is killed and reported as failed. */
const CHILD_TIMEOUT_MS = 180_000;

function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

async function runCase(
  benchCase: BenchCase,
  input: string,
  children: { ours: string; sharp: string },
  args: BenchArgs,
  library: string | null,
): Promise<CaseResult> {
  const save = (who: string) => ['--save', join(WORK, 'out', `${benchCase.name}.${who}`)];
  progress(`${benchCase.name}: ${library ? 'sharp and ours, interleaved' : 'sharp only'}`);
  const outcome = await measurePair(
    {
      sharp: {
        script: children.sharp,
        args: ['--input', input, ...save('sharp')],
        what: `sharp on ${benchCase.name}`,
      },
      ours: library
        ? {
            script: children.ours,
            args: ['--input', input, ...save('ours'), '--lib', pathToFileURL(library).href],
            what: `ours on ${benchCase.name}`,
          }
        : null,
    },
    args,
    CHILD_TIMEOUT_MS,
    (message) => progress(`${benchCase.name}: ${message}`),
    { nice: args.nice },
  );
  const ours = outcome.ours?.result ?? { error: 'the compiled library does not exist (yet)' };
  const reference = outcome.sharp.result;
  let psnrVsSharpDb: number | null = null;
  if (measured(ours) && measured(reference) && ours.output.format === reference.output.format) {
    const extension = ours.output.format === 'png' ? 'png' : 'jpg';
    psnrVsSharpDb = await comparePsnr(
      join(WORK, 'out', `${benchCase.name}.ours.output.${extension}`),
      join(WORK, 'out', `${benchCase.name}.sharp.output.${extension}`),
    );
  }
  let fidelity: Fidelity | null = null;
  if (library && measured(ours) && measured(reference)) {
    progress(`${benchCase.name}: quality against a Lanczos-3 of the full-size decode`);
    const extension = reference.output.format === 'png' ? 'png' : 'jpg';
    try {
      fidelity = await measureFidelity(
        input,
        pathToFileURL(library).href,
        join(WORK, 'out', `${benchCase.name}.sharp.output.${extension}`),
      );
    } catch (error) {
      progress(`${benchCase.name}: quality not measured: ${String(error)}`);
    }
  }
  const both = measured(ours) && measured(reference);
  return {
    name: benchCase.name,
    input: {
      format: benchCase.format,
      width: benchCase.width,
      height: benchCase.height,
      bytes: (await stat(input)).size,
    },
    ours,
    sharp: reference,
    ratio: both ? ratio(ours.medianMs, reference.medianMs) : null,
    rssRatio: both ? ratio(ours.peakRssMb, reference.peakRssMb) : null,
    cpuRatio: both ? ratio(ours.cpuMedianMs, reference.cpuMedianMs) : null,
    psnrVsSharpDb,
    fidelity,
    stagesMs: outcome.ours?.stagesMs ?? null,
    ...caseCost(
      measured(ours) ? ours.cpuMedianMs : null,
      measured(reference) ? reference.cpuMedianMs : null,
      args.rates,
    ),
  };
}

interface ColdRun {
  bootMs: number;
  importMs: number;
  firstImageMs: number;
}

function coldSide(wall: number[], inside: ColdRun[]): ColdSide {
  return {
    medianMs: median(wall),
    runsMs: wall,
    bootMs: median(inside.map((run) => run.bootMs)),
    importMs: median(inside.map((run) => run.importMs)),
    firstImageMs: median(inside.map((run) => run.firstImageMs)),
  };
}

/**
 * Fresh processes of each side, one after the other and in alternating order (so both meet
 * the same load). A side whose process fails stops being run; the other goes on.
 */
async function coldStart(
  script: string,
  library: string,
  input: string,
  args: BenchArgs,
): Promise<ColdStartResult> {
  const side = (childArgs: string[]) => ({
    args: childArgs,
    wall: [] as number[],
    inside: [] as ColdRun[],
    error: null as string | null,
  });
  const sides = {
    ours: side(['ours', input, pathToFileURL(library).href]),
    sharp: side(['sharp', input]),
  };
  for (let i = 0; i < args.coldRuns; i++) {
    const order = i % 2 === 0 ? (['ours', 'sharp'] as const) : (['sharp', 'ours'] as const);
    for (const name of order) {
      const runs = sides[name];
      if (runs.error !== null) continue;
      try {
        const exit = await runNode(script, runs.args, CHILD_TIMEOUT_MS, { nice: args.nice });
        runs.inside.push(parseChildJson<ColdRun>(exit, `cold start of ${name}`));
        runs.wall.push(exit.wallMs);
      } catch (error) {
        runs.error = error instanceof Error ? error.message : String(error);
      }
    }
  }
  if (sides.ours.error !== null) throw new Error(sides.ours.error);
  const ours = coldSide(sides.ours.wall, sides.ours.inside);
  const sharpSide: ColdSide | SideFailure =
    sides.sharp.error === null
      ? coldSide(sides.sharp.wall, sides.sharp.inside)
      : { error: sides.sharp.error };
  const sharpMs = 'medianMs' in sharpSide ? sharpSide.medianMs : null;
  return {
    ...ours,
    oursMs: ours.medianMs,
    sharpMs,
    ratio: sharpMs === null ? null : ratio(ours.medianMs, sharpMs),
    sharp: sharpSide,
  };
}

/** Each format's encode of the 800x600 input, in a fresh process per format (see child-encode). */
async function encodeCosts(
  script: string,
  library: string,
  input: string,
  args: BenchArgs,
): Promise<NonNullable<BenchResult['encodes']>> {
  const results: NonNullable<BenchResult['encodes']> = [];
  for (const format of ENCODE_FORMATS) {
    progress(`encode 800x600 as ${format} x${args.runs}`);
    const childArgs = [pathToFileURL(library).href, input, format, String(args.runs)];
    try {
      const exit = await runNode(script, [...childArgs, String(args.warmup)], CHILD_TIMEOUT_MS, {
        nice: args.nice,
      });
      const run = parseChildJson<EncodeRun>(exit, `encode as ${format}`);
      const { encodeMs, ...image } = run;
      const result: EncodeResult = { ...image, medianMs: median(encodeMs), runsMs: encodeMs };
      results.push(result);
    } catch (error) {
      results.push({ format, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return results;
}

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const loadAtStart = loadavg()[0] ?? 0;
  const cases = selectCases(args.cases);
  if (!args.skipBuild && args.lib === null) {
    progress('compiling the library (tsc -p tsconfig.build.json)');
    const build = await buildLibrary(ROOT);
    if (!build.ok) progress(`tsc reported errors; benchmarking what it emitted:\n${build.output}`);
  }
  const children = await buildChildren(join(ROOT, 'bench'), join(WORK, 'build'));
  await mkdir(join(WORK, 'out'), { recursive: true });
  const libraryPath = resolve(args.lib ?? join(ROOT, 'dist', 'lib', 'index.js'));
  const library = existsSync(libraryPath) ? libraryPath : null;
  if (!library) progress(`${libraryPath} does not exist; only sharp is measured`);

  const inputs = new Map<string, string>();
  const coldCase = args.coldRuns > 0 ? selectCases([COLD_START_CASE]) : [];
  for (const benchCase of [...cases, ...coldCase, ENCODE_CASE]) {
    if (inputs.has(benchCase.name)) continue;
    progress(`input ${benchCase.name} (generated once into .bench/inputs/)`);
    inputs.set(benchCase.name, await ensureInput(benchCase, join(WORK, 'inputs')));
  }

  const results: CaseResult[] = [];
  for (const benchCase of cases) {
    const input = inputs.get(benchCase.name) as string;
    results.push(await runCase(benchCase, input, children, args, library));
  }

  let cold: ColdStartResult | SideFailure | null = null;
  if (args.coldRuns > 0 && library) {
    progress(`cold start x${args.coldRuns}`);
    const input = inputs.get(COLD_START_CASE) as string;
    try {
      cold = await coldStart(children.cold, library, input, args);
    } catch (error) {
      cold = { error: error instanceof Error ? error.message : String(error) };
    }
  }

  const encodes = library
    ? await encodeCosts(children.encode, library, inputs.get(ENCODE_CASE.name) as string, args)
    : null;

  const result: BenchResult = {
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
      memoryGb: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      sharp: `${sharp.versions.sharp ?? '?'} (libvips ${sharp.versions.vips})`,
    },
    loadAverage: { start: loadAtStart, end: loadavg()[0] ?? 0 },
    runs: args.runs,
    warmup: args.warmup,
    nice: args.nice,
    coldStartMs: cold !== null && 'medianMs' in cold ? cold.medianMs : null,
    coldStart: cold,
    encodes,
    costModel: costModel(args.rates),
    cases: results,
  };
  // Every run is kept (git-ignored), so figures can be compared and rendered again later.
  const saved = join(WORK, 'results', `${result.date.replace(/[:.]/g, '-')}.json`);
  await mkdir(dirname(saved), { recursive: true });
  await writeFile(saved, renderJson(result));
  progress(`results saved to ${saved}`);
  const render = args.json ? renderJson : args.markdown ? renderMarkdown : renderText;
  process.stdout.write(render(result));
  if (args.html !== null) {
    await writeHtmlReport(result, resolve(args.html));
    progress(`report page written to ${resolve(args.html)}`);
  }
  const failed = results.some((c) => !measured(c.ours) || !measured(c.sharp));
  const encodeFailed = encodes?.some((encode) => 'error' in encode) ?? false;
  const coldFailed = cold !== null && ('error' in cold || 'error' in cold.sharp);
  if (failed || encodeFailed || coldFailed) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
