/**
 * Measures both sides of one case with their runs interleaved: each side lives in its own child
 * process for the whole case, and the parent alternates them run by run (sharp, ours, ours,
 * sharp, …). On a machine shared with other work, both sides then meet the same load, so the
 * ratio stays fair even when the absolute times do not.
 */
import { ChildSession, type Priority } from './children.js';
import type { EndReport, RunReport } from './harness.js';
import type { SideFailure, SideResult } from './report.js';
import { median, medianByKey, range } from './stats.js';

/** How to start one side's child. */
export interface SideSpec {
  script: string;
  args: string[];
  what: string;
}

/** One side's result, with our per-stage medians when the side reported stages. */
export interface SideOutcome {
  result: SideResult | SideFailure;
  stagesMs: Record<string, number> | null;
}

/** The figures of one side from its runs and its final report. */
export function summarise(runs: RunReport[], end: EndReport): SideOutcome {
  const ms = runs.map((run) => run.ms);
  const { min, max } = range(ms);
  const stages = runs.flatMap((run) => (run.stagesMs ? [run.stagesMs] : []));
  return {
    result: {
      medianMs: median(ms),
      minMs: min,
      maxMs: max,
      runsMs: ms,
      cpuMedianMs: median(runs.map((run) => run.cpuMs)),
      peakRssMb: end.peakRssMb,
      output: end.output,
      thumbnail: end.thumbnail,
    },
    stagesMs: stages.length > 0 ? medianByKey(stages) : null,
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** One side under measurement; a failure is recorded and the side skips every later step. */
class Side {
  readonly runs: RunReport[] = [];
  end: EndReport | null = null;
  error: string | null = null;
  private readonly session: ChildSession;

  constructor(spec: SideSpec, timeoutMs: number, priority: Priority) {
    this.session = new ChildSession(spec.script, spec.args, spec.what, timeoutMs, priority);
  }

  async ready(): Promise<void> {
    await this.guard(() => this.session.read());
  }

  async warmup(): Promise<void> {
    await this.guard(() => this.session.send('warmup'));
  }

  async run(): Promise<void> {
    await this.guard(async () => this.runs.push(await this.session.send<RunReport>('run')));
  }

  async finish(): Promise<SideOutcome> {
    await this.guard(async () => (this.end = await this.session.send<EndReport>('end')));
    this.session.dispose();
    if (this.error !== null || this.end === null || this.runs.length === 0) {
      return { result: { error: this.error ?? 'no runs' }, stagesMs: null };
    }
    return summarise(this.runs, this.end);
  }

  private async guard(step: () => Promise<unknown>): Promise<void> {
    if (this.error !== null) return;
    try {
      await step();
    } catch (error) {
      this.error = message(error);
      this.session.dispose();
    }
  }
}

/**
 * Starts both sides, warms each up, then runs them alternately (`runs` timed runs each) and
 * collects their figures. `ours` is null when there is no library to measure.
 */
export async function measurePair(
  specs: { sharp: SideSpec; ours: SideSpec | null },
  counts: { warmup: number; runs: number },
  timeoutMs: number,
  onProgress: (message: string) => void = () => {},
  priority: Priority = { nice: null },
): Promise<{ sharp: SideOutcome; ours: SideOutcome | null }> {
  const sharp = new Side(specs.sharp, timeoutMs, priority);
  const ours = specs.ours ? new Side(specs.ours, timeoutMs, priority) : null;
  const sides = ours ? [sharp, ours] : [sharp];
  for (const side of sides) await side.ready();
  for (let i = 0; i < counts.warmup; i++) for (const side of sides) await side.warmup();
  for (let i = 0; i < counts.runs; i++) {
    onProgress(`run ${i + 1}/${counts.runs}`);
    // Alternate who goes first, so neither side always follows the other's garbage or cache.
    for (const side of i % 2 === 0 ? sides : [...sides].reverse()) await side.run();
  }
  return { sharp: await sharp.finish(), ours: ours ? await ours.finish() : null };
}
