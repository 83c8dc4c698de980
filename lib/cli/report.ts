/**
 * What the user sees: a progress bar while files are processed (only on a terminal), then a
 * summary table, or with --json a machine-readable summary on stdout.
 */
import { Presets, SingleBar } from 'cli-progress';
import type { JobOutcome } from './job.js';

/** The --json summary: one object on stdout. */
export interface JsonSummary {
  out: string;
  total: number;
  processed: number;
  failed: number;
  /** Number of failures per error code. */
  failures: Record<string, number>;
  skipped: { path: string; reason: string }[];
  durationMs: number;
  files: JobOutcome[];
}

/** A progress display; a no-op when the stream is not a terminal. */
export interface Progress {
  tick(outcome: JobOutcome): void;
  stop(): void;
}

/** A progress bar on `stream` when it is a terminal, otherwise nothing. */
export function createProgress(total: number, stream: NodeJS.WritableStream): Progress {
  if (!(stream as { isTTY?: boolean }).isTTY || total === 0) {
    return { tick: () => {}, stop: () => {} };
  }
  const bar = new SingleBar(
    {
      stream,
      format: '{bar} {value}/{total} files | {failed} failed | {name}',
      hideCursor: true,
      clearOnComplete: true,
    },
    Presets.shades_classic,
  );
  let failed = 0;
  bar.start(total, 0, { failed, name: '' });
  return {
    tick(outcome) {
      if (outcome.status === 'failed') failed++;
      bar.increment(1, { failed, name: outcome.name });
    },
    stop: () => bar.stop(),
  };
}

/** Builds the --json summary. */
export function summarise(
  out: string,
  outcomes: readonly JobOutcome[],
  skipped: JsonSummary['skipped'],
  durationMs: number,
): JsonSummary {
  const failures: Record<string, number> = {};
  for (const outcome of outcomes) {
    if (outcome.error) failures[outcome.error.code] = (failures[outcome.error.code] ?? 0) + 1;
  }
  const failed = outcomes.filter((outcome) => outcome.status === 'failed').length;
  return {
    out,
    total: outcomes.length,
    processed: outcomes.length - failed,
    failed,
    failures,
    skipped,
    durationMs: Math.round(durationMs),
    files: [...outcomes],
  };
}

function table(rows: string[][]): string {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The human summary: failed files with their codes, then totals. */
export function formatSummary(summary: JsonSummary): string {
  const lines: string[] = [];
  const failed = summary.files.filter((file) => file.status === 'failed');
  if (failed.length > 0) {
    lines.push(
      'Failed:',
      table([
        ['file', 'code', 'why'],
        ...failed.map((file) => [file.name, file.error?.code ?? '', file.error?.message ?? '']),
      ]),
      '',
    );
  }
  const codes = Object.entries(summary.failures)
    .map(([code, count]) => `${code} ${count}`)
    .join(', ');
  lines.push(
    table([
      ['processed', String(summary.processed)],
      ['failed', summary.failed === 0 ? '0' : `${summary.failed} (${codes})`],
      ['skipped', String(summary.skipped.length)],
      ['total time', `${(summary.durationMs / 1000).toFixed(2)} s`],
      ['results in', summary.out],
    ]),
  );
  return `${lines.join('\n')}\n`;
}
