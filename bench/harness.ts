/**
 * What every benchmark child process shares: read its arguments, run and time a job when the
 * parent says so, measure its own peak RSS, and answer with one JSON line per command.
 * Children run as compiled JavaScript under plain `node`, so no loader inflates their memory.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
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

/** One timed run, as a child reports it. */
export interface RunReport {
  ms: number;
  /** CPU time (user + system, all threads) of the run: less skewed by other load than `ms`. */
  cpuMs: number;
  /** Per-stage timings the job reported (ours only). */
  stagesMs?: Record<string, number>;
}

/** What a child reports when told to end. */
export interface EndReport {
  /** Peak resident set size of the whole child process, in MB (1 MB = 2^20 bytes). */
  peakRssMb: number;
  output: ImageSummary;
  thumbnail: ImageSummary;
}

/** The commands a child obeys, one per line on stdin; it answers each with one JSON line. */
export type ChildCommand = 'warmup' | 'run' | 'end';

/** Arguments the parent passes to every child. */
export interface ChildArgs {
  input: string;
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
      lib: { type: 'string' },
      save: { type: 'string' },
    },
  });
  if (!values.input) throw new Error('--input is required');
  return {
    input: values.input,
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

async function save(prefix: string, last: JobResult): Promise<void> {
  const extension = (format: string) => (format === 'jpeg' ? 'jpg' : format);
  await writeFile(`${prefix}.output.${extension(last.output.format)}`, last.output.data);
  await writeFile(`${prefix}.thumbnail.${extension(last.thumbnail.format)}`, last.thumbnail.data);
}

/**
 * The main of a child: builds the job, says it is ready, then obeys the parent's commands
 * (`warmup`, `run`, `end`) one line at a time, so the parent can interleave the two sides'
 * runs and both meet the same load. Any failure ends the process with exit code 1.
 */
export async function serveChild(makeJob: (args: ChildArgs) => Promise<() => Promise<JobResult>>) {
  const reply = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);
  try {
    const args = readChildArgs(process.argv.slice(2));
    const job = await makeJob(args);
    let last: JobResult | undefined;
    reply({ ready: true });
    for await (const line of createInterface({ input: process.stdin })) {
      const command = line.trim() as ChildCommand;
      if (command === 'warmup') {
        last = await job();
        reply({ warmedUp: true });
      } else if (command === 'run') {
        const cpu = process.cpuUsage();
        const start = performance.now();
        last = await job();
        const ms = performance.now() - start;
        const used = process.cpuUsage(cpu);
        const report: RunReport = { ms, cpuMs: (used.user + used.system) / 1000 };
        if (last.stagesMs) report.stagesMs = last.stagesMs;
        reply(report);
      } else if (command === 'end') {
        if (!last) throw new Error('told to end before any run');
        if (args.save) await save(args.save, last);
        const report: EndReport = {
          peakRssMb: peakRssMb(),
          output: summary(last.output),
          thumbnail: summary(last.thumbnail),
        };
        reply(report);
        break;
      } else {
        throw new Error(`unknown command '${line}'`);
      }
    }
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`${message}\n`);
    process.exitCode = 1;
  }
}
