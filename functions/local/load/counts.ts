/**
 * What the load tool counts from outside the instances: how Event Grid's deliveries were
 * answered, and how many times storage served each input version (each processing run
 * downloads its input once, so a version served twice was processed twice).
 */
import type { InvocationTiming } from '../instance.js';
import type { WebhookAnswer } from '../webhook.js';
import type { ProxyObserver } from './proxy.js';
import { percentile } from './stats.js';

/** Median, 95th percentile and maximum of a list of milliseconds, rounded; zeros when empty. */
export interface Spread {
  p50: number;
  p95: number;
  max: number;
}

function spreadOf(values: readonly number[]): Spread {
  return {
    p50: Math.round(percentile(values, 50)),
    p95: Math.round(percentile(values, 95)),
    max: Math.round(percentile(values, 100)),
  };
}

/**
 * The deliveries answered after the window, and where their time went: how long they took
 * from the request, and, for the invocations their host saw last longer than the window, the
 * wait in the host for a free slot (invisible to the function, whose clock starts at its call)
 * against the function's own time.
 */
export interface LateAnswers {
  answerMs: Spread;
  /** Invocations whose host-side time (queue and function) passed the window. */
  overWindowInHost: number;
  hostQueueMs: Spread;
  functionMs: Spread;
}

/** Deliveries sent, and how they were answered. */
export class DeliveryCounts {
  deliveries = 0;
  /** Answered (or failed) after the response window. */
  timedOut = 0;
  /** Answered with a 5xx, a 429 (or a failed connection) within the window: refused, to be retried. */
  shed = 0;
  /** How long each late answer took (ms from the request), to tell lag from waiting. */
  readonly lateMs: number[] = [];
  readonly #overWindow: InvocationTiming[] = [];

  constructor(readonly windowMs: number) {}

  /** A delivery was posted. */
  sent(): void {
    this.deliveries += 1;
  }

  /** A delivery was answered (however late). */
  answered(answer: WebhookAnswer): void {
    if (answer.ms > this.windowMs) {
      this.timedOut += 1;
      this.lateMs.push(answer.ms);
    } else if (answer.status === undefined || answer.status >= 500 || answer.status === 429) {
      this.shed += 1;
    }
  }

  /** An invocation's time as its host saw it: kept when it passed the window. */
  invoked(timing: InvocationTiming): void {
    if (timing.queuedMs + timing.runMs > this.windowMs) this.#overWindow.push(timing);
  }

  /** The late answers' times, and where their time went. */
  late(): LateAnswers {
    return {
      answerMs: spreadOf(this.lateMs),
      overWindowInHost: this.#overWindow.length,
      hostQueueMs: spreadOf(this.#overWindow.map((timing) => timing.queuedMs)),
      functionMs: spreadOf(this.#overWindow.map((timing) => timing.runMs)),
    };
  }

  /** One line for progress logs. */
  describe(): string {
    const late = [...this.lateMs].sort((a, b) => a - b);
    const range =
      late.length === 0 ? '' : ` (${Math.round(late[0]!)}–${Math.round(late.at(-1)!)} ms)`;
    return `${this.deliveries} deliveries, ${this.timedOut} answered after the window${range}, ${this.shed} refused fast`;
  }
}

/** Full downloads of input blobs storage served, by name and eTag. */
export class RunCounter {
  readonly #served = new Map<string, number>();

  constructor(readonly inputContainer: string) {}

  /** The proxy observer that counts: a `GET` of a whole input blob answered 200. */
  readonly observer: ProxyObserver = (request, answer) => {
    if (request.operation !== 'download' || request.container !== this.inputContainer) return;
    // 206 is a range, such as the SDK's resumption of a broken download: not a new run.
    if (answer.status !== 200) return;
    const eTag = answer.headers.etag;
    const key = `${request.blob ?? ''}\n${Array.isArray(eTag) ? eTag[0] : (eTag ?? '')}`;
    this.#served.set(key, (this.#served.get(key) ?? 0) + 1);
  };

  /** Downloads beyond the first of each name and eTag. */
  redundant(): number {
    let extra = 0;
    for (const count of this.#served.values()) extra += count - 1;
    return extra;
  }
}
