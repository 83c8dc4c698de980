/**
 * When the local runtime tries again: one schedule shape for event deliveries and for
 * dead-letter writes, so the back-off is computed in one place. The deliverer and the
 * dead-letter writer take a `RetrySchedule`, not a formula, so another schedule (Event Grid's
 * own 10 s, 30 s, 1 min, … steps) can replace this one without touching them.
 */

/** Exponential back-off, Event Grid's retry policy scaled down for a laptop. */
export interface RetryPolicy {
  /** Deliveries before the event is dead-lettered (Event Grid's default is 30). */
  maxAttempts: number;
  /** Delay before the second attempt; doubles each time. */
  initialDelayMs: number;
  maxDelayMs: number;
}

/** How many attempts, and how long to wait after each failed one. */
export interface RetrySchedule {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** The wait after the `failedAttempt`-th attempt failed (1 for the first). */
  nextDelayMs(failedAttempt: number): number;
}

/** 5 attempts, waiting 1 s, 2 s, 4 s, 8 s between them (at most 30 s). */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = {
  maxAttempts: 5,
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
};

/**
 * The schedule of `policy` (missing fields from `DEFAULT_RETRY_POLICY`): the wait doubles
 * after each failed attempt, from `initialDelayMs` up to `maxDelayMs`.
 *
 * @example exponentialBackoff({ initialDelayMs: 10, maxDelayMs: 100 }).nextDelayMs(3) // 40
 */
export function exponentialBackoff(policy: Partial<RetryPolicy> = {}): RetrySchedule {
  const { maxAttempts, initialDelayMs, maxDelayMs } = { ...DEFAULT_RETRY_POLICY, ...policy };
  return {
    maxAttempts,
    nextDelayMs: (failedAttempt) => Math.min(initialDelayMs * 2 ** (failedAttempt - 1), maxDelayMs),
  };
}

/**
 * Resolves after `ms`, or as soon as `signal` aborts (it never rejects): a back-off wait that
 * stopping the runtime cuts short.
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const wake = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', wake);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    signal.addEventListener('abort', wake, { once: true });
  });
}
