/**
 * What `npm start` prints: one line per invocation, dead-letter or retry, the delivery rules in
 * force, and the account of a `--once` run.
 */
import type { WrittenRendition } from '../outcome.js';
import type { Outcome } from '../process-blob.js';
import type { DeliveryResult } from './deliverer.js';
import { EVENT_GRID_RETRY_DELAYS_MS } from './retry.js';
import type { DeliveryRules } from './runtime.js';
import type { ResultsReport } from './verify.js';

function kb(bytes: number | undefined): string {
  return bytes === undefined ? '-' : `${(bytes / 1024).toFixed(1)} KB`;
}

/** What one line reports: an event's outcome, or its dead-lettering. */
export type ReportedResult = Pick<
  DeliveryResult,
  'name' | 'attempts' | 'outcome' | 'deadLettered' | 'error'
>;

/** `output 34.4 KB, thumbnails 4.5 KB webp`: each rendition's container, size, and format when not JPEG. */
function renditionsLine(renditions: readonly WrittenRendition[]): string {
  return renditions
    .map((r) => `${r.container} ${kb(r.bytes)}${r.format === 'jpeg' ? '' : ` ${r.format}`}`)
    .join(', ');
}

/** One line per event: name, input size, each rendition's size, status, ms. */
export function formatResult(result: ReportedResult): string {
  if (result.deadLettered !== undefined || result.outcome === undefined) {
    return `✗ ${result.name}  dead-lettered after ${result.attempts} attempts → ${result.deadLettered ?? '(not written)'}: ${result.error ?? ''}`;
  }
  const outcome: Outcome = result.outcome;
  const retries = result.attempts > 1 ? `  (attempt ${result.attempts})` : '';
  switch (outcome.status) {
    case 'succeeded':
      return `✓ ${outcome.name}  ${kb(outcome.inputBytes)} → ${renditionsLine(outcome.renditions)}  succeeded  ${outcome.ms} ms${retries}`;
    case 'failed':
      return `✗ ${outcome.name ?? result.name}  ${kb(outcome.inputBytes)}  failed ${outcome.errorCode}: ${outcome.message}  ${outcome.ms} ms${retries}`;
    case 'skipped':
      return `· ${outcome.name ?? result.name}  skipped (${outcome.reason})  ${outcome.ms} ms`;
    case 'deleted':
      return `− ${outcome.name}  deleted from input; removed ${outcome.removed.length} result(s)  ${outcome.ms} ms`;
  }
}

/** The blob an event posted to the webhook names (its subject's tail), for reports. */
export function subjectName(event: unknown): string {
  const subject = (event as { subject?: unknown } | undefined)?.subject;
  return typeof subject === 'string' ? subject.replace(/^.*?\/blobs\//, '') : '(no subject)';
}

/** One line on Event Grid's rules as this run applies them. */
export function describeDelivery(rules: DeliveryRules, deadletter: string): string {
  const steps = EVENT_GRID_RETRY_DELAYS_MS.slice(0, 3).map(
    (ms) => `${(ms * rules.scheduleScale) / 1000} s`,
  );
  return (
    `${rules.responseWindowMs / 1000} s response window, retries after ${steps.join(', ')}, … ` +
    `(Event Grid's schedule × ${rules.scheduleScale}), ${rules.maxAttempts} attempts, then ${deadletter}/`
  );
}

/** The account of a `--once` run: how each blob in `input` ended. */
export function printReport(report: ResultsReport): void {
  console.log(
    `${report.complete} with results, ${report.failed} with a failure record, ${report.deadLettered} dead-lettered, ${report.missing.length} unprocessed.`,
  );
  for (const name of report.missing) console.log(`  unprocessed: ${name}`);
}
