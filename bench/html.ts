/**
 * The benchmark's report page (`npm run bench -- --html [path]`): one self-contained HTML file
 * with inline SVG charts (bench/charts.ts) and the tables of the text report. Ours against
 * sharp per case (time and peak RSS), our time per stage, the cold start of both, and what a
 * million images cost. docs/performance.md embeds a screenshot of it (bench/screenshot.ts).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { escapeXml, groupedBarChart, stackedBarChart, type Series } from './charts.js';
import {
  costTable,
  mainTable,
  measured,
  type BenchResult,
  type ColdSide,
  type SideFailure,
  type Table,
} from './report.js';

const OURS: Series = { name: 'ours', colour: '#2563eb' };
const SHARP: Series = { name: 'sharp', colour: '#9ca3af' };
/** Colours of stacked segments (stages, cold-start phases), in order, repeating if need be. */
const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#e15759',
  '#b07aa1',
  '#76b7b2',
  '#edc948',
  '#ff9da7',
  '#9c755f',
  '#17becf',
  '#bcbd22',
  '#1f3a93',
  '#e377c2',
  '#7f7f7f',
  '#8c564b',
  '#bab0ac',
];

function palette(names: string[]): Series[] {
  return names.map((name, i) => ({ name, colour: PALETTE[i % PALETTE.length] ?? '#000' }));
}

function htmlTable(table: Table): string {
  const head = table.headers.map((h) => `<th>${escapeXml(h)}</th>`).join('');
  const rows = table.rows
    .map((row) => `<tr>${row.map((cell) => `<td>${escapeXml(cell)}</td>`).join('')}</tr>`)
    .join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`;
}

function timeChart(result: BenchResult): string {
  return groupedBarChart({
    title: 'Time per image, median wall time (lower is better)',
    unit: 'ms',
    series: [OURS, SHARP],
    rows: result.cases.map((c) => ({
      label: c.name,
      values: [c.ours, c.sharp].map((side) => (measured(side) ? side.medianMs : null)),
    })),
  });
}

function rssChart(result: BenchResult): string {
  return groupedBarChart({
    title: 'Peak RSS of the process (lower is better)',
    unit: 'MB',
    series: [OURS, SHARP],
    decimals: 0,
    rows: result.cases.map((c) => ({
      label: c.name,
      values: [c.ours, c.sharp].map((side) => (measured(side) ? side.peakRssMb : null)),
    })),
  });
}

function stageChart(result: BenchResult): string {
  const cases = result.cases.filter((c) => c.stagesMs);
  if (cases.length === 0) return '';
  const stages = [...new Set(cases.flatMap((c) => Object.keys(c.stagesMs ?? {})))];
  return stackedBarChart({
    title: 'Ours per stage, median ms (metadata.timingsMs)',
    unit: 'ms',
    series: palette(stages),
    rows: cases.map((c) => ({
      label: c.name,
      values: stages.map((stage) => c.stagesMs?.[stage] ?? null),
    })),
  });
}

/** A cold start as phases: what the process reports, and the rest of its wall time (spawn, exit). */
function coldPhases(side: ColdSide): number[] {
  const inside = side.bootMs + side.importMs + side.firstImageMs;
  return [side.bootMs, side.importMs, side.firstImageMs, Math.max(0, side.medianMs - inside)];
}

function coldChart(result: BenchResult): string {
  const cold = result.coldStart;
  if (cold === null || 'error' in cold) return '';
  const sides: [string, ColdSide | SideFailure | undefined][] = [
    ['ours', cold],
    ['sharp', cold.sharp],
  ];
  return stackedBarChart({
    title: 'Cold start: fresh node, import, one 1 MP JPEG into the default renditions, exit',
    unit: 'ms',
    series: palette(['node boot', 'import', 'first image', 'spawn and exit']),
    rows: sides
      .filter(
        (entry): entry is [string, ColdSide] => entry[1] !== undefined && 'medianMs' in entry[1],
      )
      .map(([label, side]) => ({ label, values: coldPhases(side) })),
  });
}

function costChart(result: BenchResult): string {
  const model = result.costModel;
  if (!model) return '';
  const size = String(model.deployedMemoryMB);
  return groupedBarChart({
    title: `A million images on Flex Consumption, ${size} MB instances (USD, lower is better)`,
    unit: 'USD',
    series: [OURS, SHARP],
    decimals: 2,
    rows: result.cases.map((c) => ({
      label: c.name,
      values: [
        c.costPerMillionBySize?.[size]?.ours?.usd ?? null,
        c.costPerMillionBySize?.[size]?.sharp?.usd ?? null,
      ],
    })),
  });
}

function costSection(result: BenchResult): string {
  const table = costTable(result);
  const model = result.costModel;
  if (!table || !model) return '';
  const rates = model.rates;
  return (
    `<h2>What a million images cost</h2>${costChart(result)}${htmlTable(table)}` +
    `<p class="note">Azure Functions Flex Consumption, on demand: USD ${rates.usdPerGbSecond} per GB-s ` +
    `of instance memory while executing, USD ${rates.usdPerMillionExecutions} per million executions ` +
    `(${escapeXml(rates.source)}, as of ${escapeXml(rates.asOf)}). One image per vCPU (1 at 2048 MB, ` +
    `2 at 4096 MB), each side's median CPU time per image, busy instances, free grant not subtracted; ` +
    `a lone image on an idle instance is billed at least 1 s. See docs/performance.md.</p>`
  );
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; color: #111827; margin: 24px; max-width: 900px; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 8px; }
.meta, .note { color: #4b5563; font-size: 12px; }
svg.chart { display: block; margin: 8px 0; }
svg .title { font-weight: 600; font-size: 14px; } svg .legend, svg .value, svg .tick { font-size: 11px; fill: #374151; }
svg .label { font-size: 12px; text-anchor: end; } svg .tick { text-anchor: middle; } svg .unit { text-anchor: start; }
svg .grid { stroke: #e5e7eb; }
table { border-collapse: collapse; font-size: 12px; margin: 8px 0; }
th, td { border-bottom: 1px solid #e5e7eb; padding: 3px 8px; text-align: right; } td { white-space: nowrap; } th:first-child, td:first-child { text-align: left; }
`;

/** The whole page for one run. */
export function renderHtml(result: BenchResult): string {
  const m = result.machine;
  const main = mainTable(result.cases);
  const meta =
    `${escapeXml(result.date)}; ${m.cpus} cores (${escapeXml(m.cpuModel)}), ${m.memoryGb} GB, Node ${escapeXml(m.node)}, ` +
    `sharp ${escapeXml(m.sharp)}; load average ${result.loadAverage.start.toFixed(2)} → ${result.loadAverage.end.toFixed(2)}; ` +
    `${result.runs} timed runs after ${result.warmup} warm-up per case and side`;
  const cold = coldChart(result);
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<title>serverless-img benchmark</title>',
    `<style>${STYLE}</style></head><body>`,
    '<h1>serverless-img against sharp</h1>',
    `<p class="meta">${meta}</p>`,
    '<h2>Per case</h2>',
    timeChart(result),
    rssChart(result),
    htmlTable(main),
    stageChart(result),
    cold ? `<h2>Cold start</h2>${cold}` : '',
    costSection(result),
    '</body></html>',
    '',
  ].join('\n');
}

/** Writes the page for `result` to `path` (creating its folder). */
export async function writeHtmlReport(result: BenchResult, path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, renderHtml(result));
}
