/**
 * The functions' worker module for the image pool (lib/runner/): the generic task, plus the
 * core's stage spans recorded in memory when the caller's span is recording, so the pool can
 * replay them on the calling thread (telemetry stays in functions/; lib/ knows only the API).
 */
import {
  runImage,
  transferOutput,
  type WorkerInput,
  type WorkerOutput,
} from '../../lib/runner/worker.js';
import { collectWorkerSpans, type PlainSpan } from '../telemetry/worker-spans.js';

/** What the functions' pool sends: the generic input, and whether to record spans. */
export interface TracedWorkerInput extends WorkerInput {
  /** Record the core's spans and send them back (the caller's span is recording). */
  trace?: boolean;
}

/** The generic answer, with the core's spans when `trace` was asked for. */
export type TracedWorkerOutput = WorkerOutput & { spans?: PlainSpan[] };

/** Processes one image in the generic way, recording its spans when asked. */
export default async function processWithSpans(
  input: TracedWorkerInput,
): Promise<TracedWorkerOutput> {
  if (!input.trace) return transferOutput(await runImage(input));
  const { value, spans } = await collectWorkerSpans(() => runImage(input));
  return transferOutput({ ...value, spans });
}
