/**
 * `serverless-img backfill`: publishes a processing request to the backfill topic for each
 * input blob selected (see args.ts for the flags, docs/backfill.md for the whole story). The
 * installed bin (bin/serverless-img.js) dispatches here; the imaging CLI (lib/cli/) stays free
 * of Azure SDKs.
 *
 * Exit code: 0 every request sent (and every dead-letter record removed), 1 not so (the
 * topic refused, a record kept), 2 bad flags or no way to reach storage or the topic, 130
 * interrupted (the summary says where to resume).
 */
import { environment, type Env } from '../config.js';
import {
  BACKFILL_USAGE,
  BackfillUsageError,
  parseBackfillArgs,
  type BackfillArgs,
} from './args.js';
import { requestProgress } from './progress.js';
import { topicPublisher } from './publisher.js';
import { runBackfill, type BackfillSummary } from './run.js';
import { backfillTargets } from './targets.js';

/** Where the command writes; tests pass their own streams. */
export interface BackfillIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/**
 * Runs `backfill` on `argv` (the arguments after `backfill`) over the settings in `env`;
 * returns the exit code. Without `signal`, SIGINT interrupts the run (between batches).
 */
export async function backfillMain(
  argv: readonly string[],
  io: BackfillIo = { stdout: process.stdout, stderr: process.stderr },
  env: Env = environment(),
  signal?: AbortSignal,
): Promise<number> {
  let args: BackfillArgs;
  try {
    args = parseBackfillArgs(argv);
    if (args.help) {
      io.stdout.write(`${BACKFILL_USAGE}\n`);
      return 0;
    }
    const targets = backfillTargets(args, env);
    const publisher =
      args.dryRun || targets.topicEndpoint === undefined
        ? undefined
        : topicPublisher(targets.topicEndpoint);
    const summary = await interruptible(signal, (stop) =>
      runBackfill(args, {
        targets,
        publisher,
        progress: (total) => requestProgress(total, io.stderr),
        signal: stop,
      }),
    );
    report(summary, args, io, targets.topicEndpoint);
    return exitCode(summary);
  } catch (error) {
    if (error instanceof BackfillUsageError) {
      io.stderr.write(`serverless-img backfill: ${error.message}\n\n${BACKFILL_USAGE}\n`);
      return 2;
    }
    io.stderr.write(
      `serverless-img backfill: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  }
}

/** Runs `work` with `signal`, or with one SIGINT aborts (and only for the run). */
async function interruptible<T>(
  signal: AbortSignal | undefined,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  if (signal !== undefined) return work(signal);
  const controller = new AbortController();
  const onInterrupt = () => controller.abort();
  process.once('SIGINT', onInterrupt);
  try {
    return await work(controller.signal);
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

function exitCode(summary: BackfillSummary): number {
  if (summary.interrupted) return 130;
  if (summary.error !== undefined) return 1;
  return (summary.deadLetters?.kept.length ?? 0) > 0 ? 1 : 0;
}

/** The summary: one JSON object, or lines for a person; the resume hint always on stderr. */
function report(
  summary: BackfillSummary,
  args: BackfillArgs,
  io: BackfillIo,
  topic: string | undefined,
): void {
  if (summary.resumeFrom !== undefined) {
    const why = summary.interrupted ? 'Interrupted' : `Stopped: ${summary.error?.message ?? ''}`;
    io.stderr.write(`${why}\nResume with: --from ${JSON.stringify(summary.resumeFrom)}\n`);
  }
  if (args.json) {
    io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  const lines = summary.dryRun ? summary.names.map((name) => `would send  ${name}`) : [];
  const verb = summary.dryRun ? 'would be sent' : `sent to ${topic ?? ''}`;
  lines.push(
    `${summary.dryRun ? summary.selected : summary.sent} of ${summary.selected} request(s) ${verb} (${summary.selection}; ${summary.listed} listed, ${summary.durationMs} ms).`,
  );
  const dead = summary.deadLetters;
  if (dead !== undefined) {
    lines.push(`Dead-letter records: ${dead.records} replayed, ${dead.removed.length} removed.`);
    for (const path of dead.kept) lines.push(`  kept (not processed yet): ${path}`);
    for (const { path, why } of dead.unreplayed) lines.push(`  not replayed: ${path}: ${why}`);
  }
  io.stdout.write(`${lines.join('\n')}\n`);
}
