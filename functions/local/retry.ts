/**
 * When the local runtime tries again: one schedule shape for event deliveries and for
 * dead-letter writes, so the back-off is computed in one place. The deliverer and the
 * dead-letter writer take a `RetrySchedule`, not a formula: Event Grid's own steps (10 s,
 * 30 s, 1 min, …) for deliveries, exponential back-off for dead-letter writes and in-process
 * tests.
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
 * Event Grid's waits after the 1st, 2nd, … failed delivery: 10 s, 30 s, 1 min, 5 min, 10 min,
 * 30 min, 1 h, 3 h, 6 h, then every 12 h (learn.microsoft.com/azure/event-grid/delivery-and-retry).
 */
export const EVENT_GRID_RETRY_DELAYS_MS: readonly number[] = [
  10_000, 30_000, 60_000, 300_000, 600_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000,
];
const EVERY_12_HOURS_MS = 43_200_000;

/** The subscription's delivery attempts (bicep/subscription.bicep `maxDeliveryAttempts`). */
export const SUBSCRIPTION_MAX_ATTEMPTS = 10;

/** The subscription's event time to live, 1440 minutes (`eventTimeToLiveInMinutes`). */
export const EVENT_TIME_TO_LIVE_MS = 86_400_000;

/** Event Grid's retry schedule, compressed for tests and load runs. */
export interface EventGridRetryPolicy {
  /** Attempts before dead-lettering. Default `SUBSCRIPTION_MAX_ATTEMPTS`. */
  maxAttempts: number;
  /** Multiplies every wait: 0.05 turns 10 s into 500 ms. Default 1. */
  scale: number;
  /** Each wait is moved by up to this fraction either way (Event Grid's small randomization). */
  jitter: number;
  /** Uniform in [0, 1). Default `Math.random`. */
  random: () => number;
}

/**
 * Event Grid's schedule: the steps of `EVENT_GRID_RETRY_DELAYS_MS` times `scale`, each moved
 * by up to `jitter` (5 %) either way.
 *
 * @example eventGridSchedule({ scale: 0.01, jitter: 0 }).nextDelayMs(2) // 300
 */
export function eventGridSchedule(policy: Partial<EventGridRetryPolicy> = {}): RetrySchedule {
  const maxAttempts = policy.maxAttempts ?? SUBSCRIPTION_MAX_ATTEMPTS;
  const scale = policy.scale ?? 1;
  const jitter = policy.jitter ?? 0.05;
  const random = policy.random ?? Math.random;
  return {
    maxAttempts,
    nextDelayMs: (failedAttempt) => {
      const step = EVENT_GRID_RETRY_DELAYS_MS[failedAttempt - 1] ?? EVERY_12_HOURS_MS;
      return Math.round(step * scale * (1 + jitter * (2 * random() - 1)));
    },
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
