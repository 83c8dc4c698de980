/**
 * The ports the handler works through, and one invocation's share of them: its log, its span
 * and its clock. The handler's steps (process-blob.ts, read-input.ts, write-results.ts) are
 * plain functions of an `Invocation`.
 */
import type { InvocationContext } from '@azure/functions';
import type { StorageAccount } from './account.js';
import type { CompletionPublisher } from './completion-events.js';
import type { Config } from './config.js';
import type { InputBlobs } from './input-blobs.js';
import type { ImageSlot } from './limits/index.js';
import type { NameLocks } from './limits/name-locks.js';
import type { RunsInFlight } from './limits/runs-in-flight.js';
import type { RunClaims } from './run-claims.js';
import type { SeenOnce } from './limits/seen-once.js';
import type { Outcome, SkipReason } from './outcome.js';
import type { ResultStore } from './result-store.js';
import type { SourceLink } from './results.js';
import type { InvocationSpan, TelemetryRecorder } from './telemetry/recorder.js';
import type { TimeTicket } from './limits/admission.js';

/**
 * Runs the imaging core within the instance's limits (the app's `ImageRunner`): says when a
 * delivery must be answered and when the work queued here would let a new image end, and
 * admits an image (a thread and the memory its header declares) before its download.
 */
export interface ImageProcessor {
  deadline(arrivedAt: number): number;
  expectedEnd(declaredBytes: number): number;
  /** Counts an image as queued here from now, until its ticket is finished. */
  enqueue(declaredBytes: number): TimeTicket;
  /** Admits an image; with its ticket from `enqueue`, the image keeps its place in the backlog. */
  admit(declaredBytes: number, estimatedBytes: number, queued?: TimeTicket): Promise<ImageSlot>;
}

/** A monotonic clock in milliseconds (`performance.now`). */
export interface Clock {
  now(): number;
}

/** The ports the handler works through: the app builds them from its settings; tests pick theirs. */
export interface HandlerDeps {
  /** Container names, the options passed to the core, how results are stored, the window. */
  config: Pick<Config, 'containers' | 'image' | 'delivery' | 'results'>;
  /** The only storage account whose events act. */
  account: StorageAccount;
  inputs: InputBlobs;
  results: ResultStore;
  runner: ImageProcessor;
  clock: Clock;
  telemetry: TelemetryRecorder;
  /** Versions that already timed out once here: `TIMEOUT` gets one retry before its record. */
  timeouts: SeenOnce;
  /** One run per input name at a time on this instance. */
  locks: NameLocks;
  /** The runs queued or in progress here, which outlive the deliveries that started them. */
  runs: RunsInFlight<Outcome>;
  /** One run per input name at a time across instances. */
  claims: RunClaims;
  /** Where completion events go (none when no topic is configured). */
  events: CompletionPublisher;
}

/** One invocation: its ports, its log, its span, and when it started. */
export class Invocation {
  readonly started: number;
  /** What the event is about, for log lines (the blob name once known). */
  subject: string | undefined;

  constructor(
    readonly deps: HandlerDeps,
    readonly context: InvocationContext,
    readonly span: InvocationSpan,
  ) {
    this.started = deps.clock.now();
  }

  /** Milliseconds since the invocation started. */
  elapsed(): number {
    return Math.round(this.deps.clock.now() - this.started);
  }

  /** Ends the invocation without new results, saying why. */
  skip(link: SourceLink | undefined, reason: SkipReason, detail: string): Outcome {
    if (link !== undefined) this.context.log(`Skipped ${link.name} (${reason}): ${detail}.`);
    return {
      status: 'skipped',
      name: link?.name,
      eTag: link?.eTag || undefined,
      reason,
      detail,
      ms: this.elapsed(),
    };
  }

  /** Runs one step inside its own span. */
  step<T>(name: string, attributes: Record<string, string | number>, work: () => Promise<T>) {
    return this.deps.telemetry.step(name, attributes, work);
  }
}
