/**
 * Small statistics helpers for the benchmark: medians of run times, per-stage medians and
 * ratios, rounded the same way everywhere so the table and the JSON agree.
 */

/** Median of a non-empty list (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] as number) + upper) / 2;
}

/** Smallest and largest value of a non-empty list, to show the spread beside the median. */
export function range(values: readonly number[]): { min: number; max: number } {
  if (values.length === 0) throw new RangeError('range of an empty list');
  return { min: Math.min(...values), max: Math.max(...values) };
}

/** Rounds to a fixed number of decimals (2 by default): enough for ms and MB, stable in JSON. */
export function round(value: number, decimals = 2): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

/** ours / reference, rounded; `null` when the reference is zero or missing (no ratio to show). */
export function ratio(ours: number, reference: number): number | null {
  if (!Number.isFinite(ours) || !Number.isFinite(reference) || reference <= 0) return null;
  return round(ours / reference);
}

/**
 * Median of each named stage across runs (a stage missing from a run is left out of that
 * stage's median), in the order stages first appear.
 */
export function medianByKey(runs: readonly Record<string, number>[]): Record<string, number> {
  const samples = new Map<string, number[]>();
  for (const run of runs) {
    for (const [key, value] of Object.entries(run)) {
      if (typeof value !== 'number' || !Number.isFinite(value)) continue;
      const list = samples.get(key) ?? [];
      list.push(value);
      samples.set(key, list);
    }
  }
  const result: Record<string, number> = {};
  for (const [key, values] of samples) result[key] = round(median(values));
  return result;
}
