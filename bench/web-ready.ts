/**
 * The web-ready stages' share of the benchmark (issue 15): their added time per case, from the
 * same per-stage medians as the stage table, judged against the budget on the 12 MP JPEG case.
 */

/** The stages the web-ready results add to every image (see lib/web-ready.ts). */
export const WEB_READY_STAGES = [
  'sample',
  'position',
  'placeholder',
  'dominantColor',
  'perceptualHash',
] as const;

/** The case the budget applies to, and the budget: at most 5 ms added. */
export const WEB_READY_CASE = 'jpeg-12mp';
export const WEB_READY_BUDGET_MS = 5;

/** The web-ready stages' time in one case's stage medians; null when none ran. */
export function webReadyMs(stagesMs: Record<string, number> | null): number | null {
  const times = WEB_READY_STAGES.flatMap((stage) =>
    stagesMs?.[stage] === undefined ? [] : [stagesMs[stage]],
  );
  return times.length === 0 ? null : times.reduce((sum, value) => sum + value, 0);
}

/** The report's lines: the added time per case, and the verdict on the budgeted case. */
export function webReadyLines(
  cases: readonly { name: string; stagesMs: Record<string, number> | null }[],
): string[] {
  const measured = cases.flatMap((c) => {
    const added = webReadyMs(c.stagesMs);
    return added === null ? [] : [{ name: c.name, added }];
  });
  if (measured.length === 0) return [];
  const parts = measured.map(({ name, added }) => {
    const verdict =
      name === WEB_READY_CASE
        ? ` (budget ≤ ${WEB_READY_BUDGET_MS} ms: ${added <= WEB_READY_BUDGET_MS ? 'met' : 'missed'})`
        : '';
    return `${name} ${added.toFixed(2)} ms${verdict}`;
  });
  return [`web-ready stages added (${WEB_READY_STAGES.join(', ')}): ${parts.join('; ')}`];
}
