/**
 * The benchmark's results and their two renderings: tables for people, one JSON object for
 * machines (`--json`).
 */
import type { Cost, CostModel, SizeCost } from './cost.js';
import type { Fidelity } from './fidelity.js';
import type { ImageSummary } from './harness.js';
import { round } from './stats.js';
import { webReadyLines } from './web-ready.js';

/** One side (ours or sharp) of one case, as measured. */
export interface SideResult {
  medianMs: number;
  minMs: number;
  maxMs: number;
  runsMs: number[];
  /** Median CPU time per run (user + system, every thread of the process). */
  cpuMedianMs: number;
  peakRssMb: number;
  output: ImageSummary;
  thumbnail: ImageSummary;
}

/** A side that could not be measured, and why. */
export interface SideFailure {
  error: string;
}

/** One case: both sides, their ratios and our per-stage breakdown. */
export interface CaseResult {
  name: string;
  input: { format: string; width: number; height: number; bytes: number };
  ours: SideResult | SideFailure;
  sharp: SideResult | SideFailure;
  /** ours / sharp median time. */
  ratio: number | null;
  /** ours / sharp peak RSS. */
  rssRatio: number | null;
  /** ours / sharp median CPU time: the time ratio without the noise of other load. */
  cpuRatio: number | null;
  /** Our resized output against sharp's, in dB; null when it could not be compared. */
  psnrVsSharpDb: number | null;
  /**
   * JPEG cases: PSNR of our output, of our full-size-decode output and of sharp's against a
   * Lanczos-3 of the full-size decode; null for PNG or when it could not be measured.
   */
  fidelity?: Fidelity | null;
  /** Median ms per stage of ours, from the result's `metadata.timingsMs`. */
  stagesMs: Record<string, number> | null;
  /**
   * Ours: a million images on Flex Consumption at the instance size the Bicep deploys
   * (`costModel.deployedMemoryMB`); null when ours was not measured. See bench/cost.ts.
   */
  costPerMillion?: Cost | null;
  /** Both sides at each priced instance size, keyed by its memory in MB ("2048", "4096"). */
  costPerMillionBySize?: Record<string, SizeCost> | null;
}

/** One side's cold starts: fresh `node`, import, one 1 MP JPEG into the default renditions, exit. */
export interface ColdSide {
  /** Median wall time from spawn to exit. */
  medianMs: number;
  runsMs: number[];
  /** Medians inside the process: Node's boot, the import, the first image. */
  bootMs: number;
  importMs: number;
  firstImageMs: number;
}

/**
 * The cold start of both sides, runs interleaved. The top-level breakdown is ours (as before
 * sharp was measured beside it); `sharp` has the same fields.
 */
export interface ColdStartResult extends ColdSide {
  /** Our median (the same figure as `medianMs`). */
  oursMs: number;
  /** sharp's median; null when sharp's cold start failed. */
  sharpMs: number | null;
  /** oursMs / sharpMs. */
  ratio: number | null;
  sharp: ColdSide | SideFailure;
}

/** One output format's encode of an 800x600 photo-like image (see child-encode.ts). */
export interface EncodeResult {
  format: string;
  width: number;
  height: number;
  /** Size of the encoded image, quality 82. */
  bytes: number;
  medianMs: number;
  runsMs: number[];
}

/** Everything one benchmark run produced. */
export interface BenchResult {
  date: string;
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string; sharp: string };
  /** 1-minute load average before and after: other work on the machine skews every figure. */
  loadAverage: { start: number; end: number };
  runs: number;
  warmup: number;
  /** Autogroup nice value the measuring processes ran with (`--nice`), null when left alone. */
  nice: number | null;
  coldStartMs: number | null;
  coldStart: ColdStartResult | SideFailure | null;
  /** Encode time per output format (JPEG, WebP, AVIF); null when not measured. */
  encodes: (EncodeResult | (SideFailure & { format: string }))[] | null;
  /** The cost model and rates behind each case's `costPerMillion`. */
  costModel?: CostModel;
  cases: CaseResult[];
}

/**
 * Targets from the issues, on the 12 and 24 MP JPEG cases: max time and RSS ratios to sharp,
 * and (issue 6) the most quality shrink-on-load may lose against the full-size decode path.
 */
export const TARGETS: readonly { issue: string; time: number; rss: number; lossDb?: number }[] = [
  { issue: 'issue 2', time: 6, rss: 2.5 },
  { issue: 'issue 6', time: 2.5, rss: 1.5, lossDb: 1 },
];
const TARGET_CASES = ['jpeg-12mp', 'jpeg-24mp'];

/** Narrows a side to a measured result. */
export function measured(side: SideResult | SideFailure | null): side is SideResult {
  return side !== null && 'medianMs' in side;
}

/** A plain-text table with right-aligned numbers and left-aligned first column. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function ms(value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

function times(value: number | null): string {
  return value === null ? '—' : `${value.toFixed(2)}×`;
}

function megabytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MB`;
}

/** Headers and rows, rendered as plain text or Markdown. */
export interface Table {
  headers: string[];
  rows: string[][];
}

/** The same table as Markdown, numbers right-aligned, for README's performance section. */
export function formatMarkdownTable(headers: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const rule = headers.map((_, i) => (i === 0 ? '---' : '---:'));
  return [line(headers), line(rule), ...rows.map(line)].join('\n');
}

export function mainTable(cases: CaseResult[]): Table {
  const rows = cases.map((c) => {
    const side = (s: SideResult | SideFailure) =>
      measured(s)
        ? [ms(s.medianMs), s.peakRssMb.toFixed(0), ms(s.cpuMedianMs)]
        : ['failed', '—', '—'];
    const [oursMs, oursRss, oursCpu] = side(c.ours);
    const [sharpMs, sharpRss, sharpCpu] = side(c.sharp);
    const psnr =
      c.psnrVsSharpDb === null
        ? '—'
        : Number.isFinite(c.psnrVsSharpDb)
          ? `${c.psnrVsSharpDb.toFixed(1)} dB`
          : 'identical';
    return [
      c.name,
      `${c.input.width}×${c.input.height}`,
      megabytes(c.input.bytes),
      oursMs ?? '',
      sharpMs ?? '',
      times(c.ratio),
      oursRss ?? '',
      sharpRss ?? '',
      times(c.rssRatio),
      `${oursCpu ?? ''} / ${sharpCpu ?? ''}`,
      times(c.cpuRatio),
      psnr,
    ];
  });
  return {
    headers: [
      'case',
      'size',
      'file',
      'ours ms',
      'sharp ms',
      'time ×',
      'ours RSS MB',
      'sharp RSS MB',
      'RSS ×',
      'CPU ms ours / sharp',
      'CPU ×',
      'PSNR vs sharp',
    ],
    rows,
  };
}

export function stageTable(cases: CaseResult[]): Table | null {
  const withStages = cases.filter((c) => c.stagesMs !== null);
  if (withStages.length === 0) return null;
  const stages: string[] = [];
  for (const c of withStages) {
    for (const stage of Object.keys(c.stagesMs ?? {})) {
      if (!stages.includes(stage)) stages.push(stage);
    }
  }
  const rows = withStages.map((c) => {
    const values = stages.map((stage) => c.stagesMs?.[stage]);
    const sum = values.reduce<number>((total, value) => total + (value ?? 0), 0);
    const total = measured(c.ours) ? ms(c.ours.medianMs) : '—';
    return [c.name, ...values.map((v) => (v === undefined ? '—' : ms(v))), ms(sum), total];
  });
  return { headers: ['case', ...stages, 'sum', 'run (median)'], rows };
}

function qualityTable(cases: CaseResult[]): Table | null {
  const scored = cases.filter((c) => c.fidelity);
  if (scored.length === 0) return null;
  const db = (value: number | null) =>
    value === null ? '—' : Number.isFinite(value) ? value.toFixed(2) : 'identical';
  return {
    headers: ['case', 'ours dB', 'full-size decode dB', 'lost dB', 'sharp dB'],
    rows: scored.map((c) => {
      const f = c.fidelity as Fidelity;
      return [c.name, db(f.oursDb), db(f.fullSizeDb), f.lossDb.toFixed(2), db(f.sharpDb)];
    }),
  };
}

function targetLines(cases: CaseResult[]): string[] {
  const relevant = cases.filter((c) => TARGET_CASES.includes(c.name));
  if (relevant.length === 0) return [];
  return TARGETS.map((target) => {
    const verdicts = relevant.map((c) => {
      const time = c.ratio !== null && c.ratio <= target.time ? 'met' : 'missed';
      const rss = c.rssRatio !== null && c.rssRatio <= target.rss ? 'met' : 'missed';
      if (target.lossDb === undefined) return `${c.name} time ${time}, RSS ${rss}`;
      const loss = c.fidelity?.lossDb;
      const quality =
        loss === undefined
          ? 'quality not measured'
          : `quality ${loss <= target.lossDb ? 'met' : 'missed'} (${loss.toFixed(2)} dB lost)`;
      return `${c.name} time ${time}, RSS ${rss}, ${quality}`;
    });
    const quality = target.lossDb === undefined ? '' : `, ≤ ${target.lossDb} dB lost`;
    return `${target.issue} (≤ ${target.time}× time, ≤ ${target.rss}× RSS${quality}): ${verdicts.join('; ')}`;
  });
}

function coldStartTable(cold: ColdStartResult): Table {
  const row = (side: string, c: ColdSide | SideFailure | undefined): string[] =>
    c === undefined
      ? [side, 'not measured', '—', '—', '—', '—']
      : 'error' in c
        ? [side, 'failed', '—', '—', '—', c.error.split('\n')[0] ?? '']
        : [
            side,
            ms(c.medianMs),
            ms(c.bootMs),
            ms(c.importMs),
            ms(c.firstImageMs),
            String(c.runsMs.length),
          ];
  return {
    headers: ['side', 'median ms', 'node boot', 'import', 'first image', 'runs'],
    rows: [row('ours', cold), row('sharp', cold.sharp)],
  };
}

function coldStartLines(
  cold: BenchResult['coldStart'],
  table: (headers: string[], rows: string[][]) => string,
): string[] {
  if (cold === null) return ['cold start: skipped'];
  if ('error' in cold) return [`cold start: failed: ${cold.error}`];
  const ratio =
    cold.ratio === null || cold.ratio === undefined ? '' : ` (ours ${times(cold.ratio)} sharp's)`;
  const cells = coldStartTable(cold);
  return [
    `cold start: fresh node, import, one 1 MP JPEG into the default renditions, exit; medians${ratio}:`,
    '',
    table(cells.headers, cells.rows),
  ];
}

function usd(cost: Cost | null | undefined): string {
  return cost ? `$${cost.usd.toFixed(2)}` : '—';
}

export function costTable(result: BenchResult): Table | null {
  const model = result.costModel;
  const priced = result.cases.filter((c) => c.costPerMillionBySize);
  if (!model || priced.length === 0) return null;
  const sizes = model.sizes.map((size) => String(size.memoryMB));
  return {
    headers: [
      'case',
      `ours GB-s (${model.deployedMemoryMB} MB)`,
      ...sizes.flatMap((size) => [`ours $ (${size} MB)`, `sharp $ (${size} MB)`]),
    ],
    rows: priced.map((c) => [
      c.name,
      c.costPerMillion ? Math.round(c.costPerMillion.gbSeconds).toLocaleString('en-US') : '—',
      ...sizes.flatMap((size) => {
        const at = c.costPerMillionBySize?.[size];
        return [usd(at?.ours), usd(at?.sharp)];
      }),
    ]),
  };
}

function costLines(
  result: BenchResult,
  table: (headers: string[], rows: string[][]) => string,
): string[] {
  const cells = costTable(result);
  const model = result.costModel;
  if (!cells || !model) return [];
  const rates = model.rates;
  return [
    `a million images on Flex Consumption, on demand (USD ${rates.usdPerGbSecond} per GB-s, ` +
      `USD ${rates.usdPerMillionExecutions} per million executions, as of ${rates.asOf}; ` +
      `one image per vCPU, median CPU time per image, free grant not subtracted; see bench/cost.ts):`,
    '',
    table(cells.headers, cells.rows),
    '',
    `(a lone image on an idle ${model.deployedMemoryMB} MB instance is billed at least 1 s: ` +
      `${Math.round(model.isolatedImage.gbSeconds).toLocaleString('en-US')} GB-s, ${usd(model.isolatedImage)} per million)`,
  ];
}

function encodeTable(encodes: BenchResult['encodes']): Table | null {
  if (encodes === null || encodes.length === 0) return null;
  return {
    headers: ['format', 'encode ms (median)', 'size', 'bytes'],
    rows: encodes.map((encode) =>
      'error' in encode
        ? [encode.format, 'failed', '—', encode.error]
        : [
            encode.format,
            ms(encode.medianMs),
            `${encode.width}×${encode.height}`,
            `${(encode.bytes / 1024).toFixed(0)} KB`,
          ],
    ),
  };
}

function header(result: BenchResult): string[] {
  const m = result.machine;
  return [
    `serverless-img benchmark, ${result.date}`,
    `${m.cpus} cores (${m.cpuModel}), ${m.memoryGb} GB, Node ${m.node}, sharp ${m.sharp}; ` +
      `load average ${result.loadAverage.start.toFixed(2)} at start, ${result.loadAverage.end.toFixed(2)} at end`,
    `${result.runs} timed runs after ${result.warmup} warm-up per case and side, each side in its own process, runs interleaved; median per image`,
    ...(result.nice === null
      ? []
      : [`measuring processes in their own sessions with autogroup nice ${result.nice} (--nice)`]),
    ...(result.runs < 5 ? ['(fewer than 5 timed runs: a smoke run, not a measurement)'] : []),
  ];
}

/** Renders the report with a table formatter (plain text or Markdown). */
function render(
  result: BenchResult,
  table: (headers: string[], rows: string[][]) => string,
  bullet: string,
): string {
  const main = mainTable(result.cases);
  const out = [...header(result), '', table(main.headers, main.rows)];
  out.push('', ...coldStartLines(result.coldStart, table));
  const cost = costLines(result, table);
  if (cost.length > 0) out.push('', ...cost);
  const encodes = encodeTable(result.encodes);
  if (encodes) {
    out.push(
      '',
      'encode of one 800×600 photo-like rendition per format, quality 82 (metadata.timingsMs.encode):',
      '',
    );
    out.push(table(encodes.headers, encodes.rows));
  }
  const stages = stageTable(result.cases);
  if (stages) {
    out.push('', 'ours per stage, median ms (metadata.timingsMs):', '');
    out.push(table(stages.headers, stages.rows), ...webReadyLines(result.cases));
  }
  const quality = qualityTable(result.cases);
  if (quality) {
    out.push(
      '',
      'output quality, PSNR against an exact Lanczos-3 of the full-size decode (sharp decodes the input):',
      '',
    );
    out.push(table(quality.headers, quality.rows));
  }
  const targets = targetLines(result.cases);
  if (targets.length > 0)
    out.push(
      '',
      'targets on the 12 and 24 MP JPEG cases:',
      ...targets.map((line) => `${bullet}${line}`),
    );
  const failures = result.cases.flatMap((c) =>
    (['ours', 'sharp'] as const)
      .filter((side) => !measured(c[side]))
      .map((side) => `${bullet}${c.name} ${side}: ${(c[side] as SideFailure).error}`),
  );
  if (failures.length > 0) out.push('', 'failures:', ...failures);
  return `${out.join('\n')}\n`;
}

/** The human report: header, main table, cold start, per-stage table and the targets. */
export function renderText(result: BenchResult): string {
  return render(result, formatTable, '  ');
}

/** The same report as Markdown (`--markdown`), ready for README's performance section. */
export function renderMarkdown(result: BenchResult): string {
  return render(result, formatMarkdownTable, '- ');
}

/** The meter's prices: kept as given (0.000026 USD per GB-s would round to 0). */
const RATE_KEYS = new Set(['usdPerGbSecond', 'usdPerMillionExecutions']);

/** The machine report: exactly one JSON object, on one line; figures rounded, rates kept whole. */
export function renderJson(result: BenchResult): string {
  return `${JSON.stringify(result, (key, value: unknown) =>
    typeof value === 'number' && Number.isFinite(value) && !RATE_KEYS.has(key)
      ? round(value)
      : value,
  )}\n`;
}

function arrow(before: string, after: string): string {
  return `${before} → ${after}`;
}

/**
 * Markdown table of two runs side by side (say, before and after a change to the core): for
 * each case in both, ours' figures and the ratios to sharp, "before → after".
 */
export function renderComparison(before: BenchResult, after: BenchResult): string {
  const rows: string[][] = [];
  for (const now of after.cases) {
    const then = before.cases.find((c) => c.name === now.name);
    if (!then || !measured(then.ours) || !measured(now.ours)) continue;
    rows.push([
      now.name,
      arrow(ms(then.ours.medianMs), ms(now.ours.medianMs)),
      arrow(ms(then.ours.cpuMedianMs), ms(now.ours.cpuMedianMs)),
      arrow(then.ours.peakRssMb.toFixed(0), now.ours.peakRssMb.toFixed(0)),
      arrow(times(then.ratio), times(now.ratio)),
      arrow(times(then.cpuRatio), times(now.cpuRatio)),
      arrow(times(then.rssRatio), times(now.rssRatio)),
    ]);
  }
  return `${formatMarkdownTable(
    ['case', 'ours ms', 'ours CPU ms', 'ours RSS MB', 'time ×', 'CPU ×', 'RSS ×'],
    rows,
  )}\n`;
}
