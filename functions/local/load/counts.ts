/**
 * What the load tool counts from outside the instances: how Event Grid's deliveries were
 * answered, and how many times storage served each input version (each processing run
 * downloads its input once, so a version served twice was processed twice).
 */
import type { WebhookAnswer } from '../webhook.js';
import type { ProxyObserver } from './proxy.js';

/** Deliveries sent, and how they were answered. */
export class DeliveryCounts {
  deliveries = 0;
  /** Answered (or failed) after the response window. */
  timedOut = 0;
  /** Answered with a 5xx (or a failed connection) within the window: refused, to be retried. */
  shed = 0;
  /** How long each late answer took (ms from the request), to tell lag from waiting. */
  readonly lateMs: number[] = [];

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
    } else if (answer.status === undefined || answer.status >= 500) this.shed += 1;
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
