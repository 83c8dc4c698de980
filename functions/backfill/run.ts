/**
 * One backfill run: select, then publish a request per blob selected in batches (at most
 * `--rate` per second), then, for `--dead-lettered`, remove each dead-letter record once the
 * blobs it names are processed. Stops between batches when interrupted or when the topic
 * refuses, saying where to resume (`--from`). The summary is what `--json` prints.
 */
import { backfillEvent, currentFingerprint } from '../backfill-event.js';
import { BlobInputs } from '../input-blobs.js';
import { BlobResultStore } from '../result-store.js';
import type { BackfillArgs } from './args.js';
import {
  deadLetterRecords,
  removeProcessed,
  type DeadLetterRecord,
  type UnreplayedRecord,
} from './dead-letters.js';
import type { Progress } from './progress.js';
import { TopicError, type RequestPublisher } from './publisher.js';
import { selectInputs, type Candidate } from './selection.js';
import type { BackfillTargets } from './targets.js';

/** Requests per publish at most (Event Grid takes up to 1 MB per publish). */
const MAX_BATCH = 100;

/** The account of a run (`--json` prints it as it is). */
export interface BackfillSummary {
  /** `missing`, `outdated`, `failed`, `failed:<CODE>` or `dead-lettered`. */
  selection: string;
  dryRun: boolean;
  /** Input blobs listed (past --prefix and --from), or dead-letter records read. */
  listed: number;
  selected: number;
  sent: number;
  /** The blobs selected, in the order sent. */
  names: string[];
  interrupted: boolean;
  /** Where to resume (`--from`): the first blob not sent, when the run stopped early. */
  resumeFrom?: string;
  error?: { code: string; message: string };
  deadLetters?: {
    records: number;
    removed: string[];
    kept: string[];
    unreplayed: UnreplayedRecord[];
  };
  durationMs: number;
}

/** What a run works with. */
export interface RunContext {
  targets: BackfillTargets;
  /** Undefined for a dry run. */
  publisher: RequestPublisher | undefined;
  progress: (total: number) => Progress;
  signal: AbortSignal;
}

/** Runs the backfill `args` describe. */
export async function runBackfill(
  args: BackfillArgs,
  context: RunContext,
): Promise<BackfillSummary> {
  const started = performance.now();
  const { config, serviceClient } = context.targets;
  const selection = await select(args, context.targets);
  const summary: BackfillSummary = {
    selection: selectionName(args),
    dryRun: args.dryRun,
    listed: selection.listed,
    selected: selection.candidates.length,
    sent: 0,
    names: selection.candidates.map((candidate) => candidate.name),
    interrupted: false,
    durationMs: 0,
  };
  if (!args.dryRun && context.publisher !== undefined) {
    await sendAll(args, context, selection.candidates, summary);
  }
  if (selection.records !== undefined) {
    const deadletter = serviceClient.getContainerClient(config.containers.deadletter);
    const sentAll = !args.dryRun && summary.sent === summary.selected;
    const cleanup = sentAll
      ? await removeProcessed(deadletter, selection.records, checker(context.targets), {
          deadline: performance.now() + args.waitS * 1000,
          pollMs: 500,
          signal: context.signal,
        })
      : { removed: [], kept: selection.records.map((record) => record.path) };
    summary.deadLetters = {
      records: selection.records.length,
      ...cleanup,
      unreplayed: selection.unreplayed,
    };
  }
  summary.durationMs = Math.round(performance.now() - started);
  return summary;
}

function selectionName(args: BackfillArgs): string {
  const { mode } = args;
  return mode.kind === 'failed' && mode.code !== undefined ? `failed:${mode.code}` : mode.kind;
}

interface Selection {
  listed: number;
  candidates: Candidate[];
  records?: DeadLetterRecord[];
  unreplayed: UnreplayedRecord[];
}

async function select(args: BackfillArgs, targets: BackfillTargets): Promise<Selection> {
  const { config, serviceClient } = targets;
  const filter = { prefix: args.prefix, from: args.from };
  const selection: Selection = { listed: 0, candidates: [], unreplayed: [] };
  if (args.mode.kind === 'dead-lettered') {
    const deadletter = serviceClient.getContainerClient(config.containers.deadletter);
    selection.records = [];
    const records = deadLetterRecords(deadletter, config.containers.input, filter, (record) =>
      selection.unreplayed.push(record),
    );
    for await (const record of records) {
      selection.listed += 1;
      selection.records.push(record);
      selection.candidates.push(...record.events);
    }
    return selection;
  }
  const sources = {
    input: serviceClient.getContainerClient(config.containers.input),
    results: resultStore(targets),
    fingerprint: currentFingerprint(config.image),
    onListed: () => (selection.listed += 1),
  };
  for await (const candidate of selectInputs(args.mode, filter, sources)) {
    selection.candidates.push(candidate);
  }
  return selection;
}

/** Publishes every candidate in order, in batches, until done, interrupted or refused. */
async function sendAll(
  args: BackfillArgs,
  context: RunContext,
  candidates: readonly Candidate[],
  summary: BackfillSummary,
): Promise<void> {
  const { config } = context.targets;
  const input = context.targets.serviceClient.getContainerClient(config.containers.input);
  const size = Math.max(1, Math.min(MAX_BATCH, Math.floor(args.rate ?? MAX_BATCH)));
  const progress = context.progress(candidates.length);
  try {
    for (let at = 0; at < candidates.length; at += size) {
      if (context.signal.aborted) return stopped(summary, candidates[at]!, true);
      const batch = candidates.slice(at, at + size);
      const began = performance.now();
      const events = batch.map((candidate) =>
        backfillEvent({
          ...candidate,
          container: config.containers.input,
          url: input.getBlobClient(candidate.name).url,
        }),
      );
      try {
        await context.publisher!.send(events);
      } catch (error) {
        if (!(error instanceof TopicError)) throw error;
        summary.error = { code: error.code, message: error.message };
        return stopped(summary, candidates[at]!, false);
      }
      summary.sent += batch.length;
      progress.advance(batch.length, batch.at(-1)!.name);
      await pace(batch.length, args.rate, began, context.signal);
    }
  } finally {
    progress.stop();
  }
}

function stopped(summary: BackfillSummary, next: Candidate, interrupted: boolean): void {
  summary.interrupted = interrupted;
  summary.resumeFrom = next.name;
}

/** Waits out the rest of the second(s) `count` requests may take at `rate` per second. */
async function pace(
  count: number,
  rate: number | undefined,
  began: number,
  signal: AbortSignal,
): Promise<void> {
  if (rate === undefined) return;
  const waitMs = (count / rate) * 1000 - (performance.now() - began);
  if (waitMs <= 0 || signal.aborted) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, waitMs);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

function resultStore(targets: BackfillTargets): BlobResultStore {
  const { config, serviceClient } = targets;
  return new BlobResultStore(serviceClient, {
    metadata: config.containers.metadata,
    renditions: config.image.renditions.map((rendition) => rendition.container),
  });
}

function checker(targets: BackfillTargets) {
  const { config, serviceClient } = targets;
  const inputs = new BlobInputs(serviceClient.getContainerClient(config.containers.input), {
    totalMs: config.delivery.downloadTimeoutMs,
    idleMs: config.delivery.downloadIdleMs,
  });
  return { inputs, results: resultStore(targets) };
}
