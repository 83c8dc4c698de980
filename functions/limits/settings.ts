/**
 * The resource settings of one process (issue 5): how many images at once, how much memory
 * they may take together, and how long one image may take. Read once, validated, with defaults
 * that fit a 2 GB Flex Consumption instance.
 */
import { InvalidOptionError } from '../../lib/errors.js';

/** Resource limits of one process. */
export interface ResourceSettings {
  /** `IMG_CONCURRENCY`: images processed at the same time (default 2). */
  concurrency: number;
  /** `IMG_MEMORY_BUDGET_MB`: estimated memory the images in flight may use (default 1024). */
  memoryBudgetMb: number;
  /** `IMG_TIMEOUT_MS`: per-image processing limit (default 120000). */
  timeoutMs: number;
}

/** The defaults: two images, 1 GB of a 2 GB instance, two minutes per image. */
export const DEFAULT_RESOURCE_SETTINGS: Readonly<ResourceSettings> = Object.freeze({
  concurrency: 2,
  memoryBudgetMb: 1024,
  timeoutMs: 120_000,
});

function integerSetting(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidOptionError(name, `integer between 1 and ${max}`, raw);
  }
  return value;
}

/** Reads `IMG_CONCURRENCY`, `IMG_MEMORY_BUDGET_MB` and `IMG_TIMEOUT_MS`, with defaults. */
export function readResourceSettings(env: NodeJS.ProcessEnv = process.env): ResourceSettings {
  return {
    concurrency: integerSetting(env, 'IMG_CONCURRENCY', DEFAULT_RESOURCE_SETTINGS.concurrency, 256),
    memoryBudgetMb: integerSetting(
      env,
      'IMG_MEMORY_BUDGET_MB',
      DEFAULT_RESOURCE_SETTINGS.memoryBudgetMb,
      1_048_576,
    ),
    timeoutMs: integerSetting(
      env,
      'IMG_TIMEOUT_MS',
      DEFAULT_RESOURCE_SETTINGS.timeoutMs,
      3_600_000,
    ),
  };
}
