/**
 * What every benchmark child process shares: read its arguments, time a job (warm-up, then
 * timed runs), measure its own peak RSS, and report one JSON line on stdout to the parent.
 * Children run as compiled JavaScript under plain `node`, so no loader inflates their memory.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

/** Size and format of one encoded image a job produced. */
export interface ImageSummary {
  format: string;
  width: number;
  height: number;
  bytes: number;
}

/** What one run of a job returns: its two images, and its per-stage timings when it has them. */
export interface JobResult {
  output: ImageSummary & { data: Uint8Array };
  thumbnail: ImageSummary & { data: Uint8Array };
  stagesMs?: Record<string, number>;
}

/** The line a child prints for the parent. */
export interface ChildReport {
  runsMs: number[];
  /** CPU time (user + system, all threads) of each timed run: less skewed by other load. */
  cpuMs: number[];
  /** Peak resident set size of the whole child process, in MB (1 MB = 2^20 bytes). */
  peakRssMb: number;
  output: ImageSummary;
  thumbnail: ImageSummary;
  /** Per-stage timings of each timed run (ours only). */
  stagesMs?: Record<string, number>[];
}

/** Arguments the parent passes to every child. */
export interface ChildArgs {
  input: string;
  warmup: number;
  runs: number;
  /** URL of the compiled library to load (ours only). */
  lib?: string;
  /** Path prefix to write the last run's output and thumbnail to, for the quality check. */
  save?: string;
}

/** Parses a child's command line. */
export function readChildArgs(argv: readonly string[]): ChildArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      input: { type: 'string' },
      warmup: { type: 'string', default: '1' },
      runs: { type: 'string', default: '5' },
      lib: { type: 'string' },
      save: { type: 'string' },
    },
  });
  if (!values.input) throw new Error('--input is required');
  return {
    input: values.input,
    warmup: Number(values.warmup),
    runs: Number(values.runs),
    ...(values.lib === undefined ? {} : { lib: values.lib }),
    ...(values.save === undefined ? {} : { save: values.save }),
  };
}

/**
 * Peak RSS of this process so far, in MB. On Linux it is VmHWM from /proc/self/status:
 * `resourceUsage().maxRSS` survives exec, so a child would report its parent's peak at fork.
 */
export function peakRssMb(): number {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kib = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
    if (kib !== undefined) return Number(kib) / 1024;
  } catch {
    // Not Linux: fall through to the portable (exec-inherited) figure.
  }
  return process.resourceUsage().maxRSS / 1024;
}

function summary(image: ImageSummary): ImageSummary {
  return { format: image.format, width: image.width, height: image.height, bytes: image.bytes };
}

/** Runs `job` `warmup` times untimed, then `runs` times timed, and collects the report. */
export async function measure(
  job: () => Promise<JobResult>,
  args: Pick<ChildArgs, 'warmup' | 'runs' | 'save'>,
): Promise<ChildReport> {
  for (let i = 0; i < args.warmup; i++) await job();
  const runsMs: number[] = [];
  const cpuMs: number[] = [];
  const stagesMs: Record<string, number>[] = [];
  let last: JobResult | undefined;
  for (let i = 0; i < args.runs; i++) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    last = await job();
    runsMs.push(performance.now() - start);
    const used = process.cpuUsage(cpu);
    cpuMs.push((used.user + used.system) / 1000);
    if (last.stagesMs) stagesMs.push(last.stagesMs);
  }
  if (!last) throw new Error('--runs must be at least 1');
  if (args.save) {
    const extension = (format: string) => (format === 'png' ? 'png' : 'jpg');
    await writeFile(`${args.save}.output.${extension(last.output.format)}`, last.output.data);
    await writeFile(
      `${args.save}.thumbnail.${extension(last.thumbnail.format)}`,
      last.thumbnail.data,
    );
  }
  return {
    runsMs,
    cpuMs,
    peakRssMb: peakRssMb(),
    output: summary(last.output),
    thumbnail: summary(last.thumbnail),
    ...(stagesMs.length > 0 ? { stagesMs } : {}),
  };
}

/** The main of a child: builds the job, measures it, prints the report; any failure exits 1. */
export async function runChild(makeJob: (args: ChildArgs) => Promise<() => Promise<JobResult>>) {
  try {
    const args = readChildArgs(process.argv.slice(2));
    const job = await makeJob(args);
    const report = await measure(job, args);
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`${message}\n`);
    process.exitCode = 1;
  }
}
