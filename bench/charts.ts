/**
 * Bar charts as inline SVG for the benchmark's report page: no script, no network, no
 * dependency, so the page is one self-contained file a browser (or a screenshot) renders the
 * same anywhere. Every bar carries its figure in `data-*` attributes (`data-row`,
 * `data-series`, `data-value`), so a test can read back what was drawn.
 */

/** One kind of bar (a side, or a stage) and its colour. */
export interface Series {
  name: string;
  colour: string;
}

/** One row of a chart: a label and one value per series (null: not measured, no bar). */
export interface ChartRow {
  label: string;
  values: (number | null)[];
}

/** What a chart shows. */
export interface Chart {
  title: string;
  /** Unit after each value and on the axis, e.g. "ms". */
  unit: string;
  series: Series[];
  rows: ChartRow[];
  /** Decimals of the values printed beside the bars (default: 0 from 100 up, else 1). */
  decimals?: number;
}

const WIDTH = 860;
const LABEL_WIDTH = 150;
const RIGHT_MARGIN = 90;
/** Width of the bars' area, between the labels and the right margin. */
const PLOT_WIDTH = WIDTH - LABEL_WIDTH - RIGHT_MARGIN;
const BAR_HEIGHT = 16;
const BAR_GAP = 3;
const ROW_GAP = 14;
const AXIS_HEIGHT = 22;

/** Escapes text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** Axis ends whose quarters are round numbers too (× a power of ten). */
const AXIS_ENDS = [1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8, 10];

/** The smallest round axis end at or above `value`, so the bars fill most of the width. */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  const step = AXIS_ENDS.find((m) => m * power >= value * (1 - 1e-12)) ?? 10;
  return Number((step * power).toPrecision(12));
}

function format(value: number, decimals: number | undefined): string {
  const places = decimals ?? (Math.abs(value) >= 100 ? 0 : 1);
  return value.toLocaleString('en-US', {
    minimumFractionDigits: places,
    maximumFractionDigits: places,
  });
}

/** The legend, wrapped onto as many lines as it needs, and where the bars start below it. */
function legend(series: Series[]): { svg: string; top: number } {
  let x = LABEL_WIDTH;
  let y = 28;
  const items = series.map((s) => {
    const width = 28 + s.name.length * 7;
    if (x + width > WIDTH && x > LABEL_WIDTH) {
      x = LABEL_WIDTH;
      y += 18;
    }
    const item =
      `<rect x="${x}" y="${y}" width="12" height="12" fill="${s.colour}"/>` +
      `<text x="${x + 16}" y="${y + 10}" class="legend">${escapeXml(s.name)}</text>`;
    x += width;
    return item;
  });
  return { svg: items.join(''), top: y + 20 };
}

/** Decimals of the axis' tick labels: whole numbers unless the axis is short. */
function tickDecimals(max: number): number {
  return max >= 10 ? 0 : max >= 1 ? 1 : 2;
}

function axis(max: number, top: number, y: number, unit: string): string {
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const x = LABEL_WIDTH + f * PLOT_WIDTH;
    return (
      `<line x1="${x}" y1="${top - 4}" x2="${x}" y2="${y}" class="grid"/>` +
      `<text x="${x}" y="${y + 15}" class="tick">${format(f * max, tickDecimals(max))}</text>`
    );
  });
  return `${ticks.join('')}<text x="${WIDTH - RIGHT_MARGIN + 30}" y="${y + 15}" class="tick unit">${escapeXml(unit)}</text>`;
}

function frame(chart: Chart, height: number, legendSvg: string, body: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${WIDTH}" height="${height}" ` +
    `viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${escapeXml(chart.title)}">` +
    `<text x="0" y="18" class="title">${escapeXml(chart.title)}</text>${legendSvg}${body}</svg>`
  );
}

/** The chart's SVG: its rows (`rowsHeight` tall from `top`) over an axis from 0 to `max`. */
function plotted(
  chart: Chart,
  legendSvg: string,
  top: number,
  rowsHeight: number,
  max: number,
  body: string,
): string {
  const bottom = top + rowsHeight;
  const scale = axis(max, top, bottom - ROW_GAP / 2, chart.unit);
  return frame(chart, bottom + AXIS_HEIGHT, legendSvg, scale + body);
}

function bar(
  attributes: { row: string; series: string; value: number },
  x: number,
  y: number,
  width: number,
  colour: string,
  className: string,
): string {
  return (
    `<rect class="${className}" data-row="${escapeXml(attributes.row)}" ` +
    `data-series="${escapeXml(attributes.series)}" data-value="${attributes.value}" ` +
    `x="${x.toFixed(1)}" y="${y}" width="${width.toFixed(1)}" height="${BAR_HEIGHT}" fill="${colour}">` +
    `<title>${escapeXml(`${attributes.row}, ${attributes.series}: ${attributes.value}`)}</title></rect>`
  );
}

/**
 * Horizontal bars, one per series in each row, side by side (say ours and sharp per case).
 */
export function groupedBarChart(chart: Chart): string {
  const values = chart.rows.flatMap((row) => row.values.filter((v): v is number => v !== null));
  const max = niceMax(Math.max(0, ...values));
  const rowHeight = chart.series.length * (BAR_HEIGHT + BAR_GAP) + ROW_GAP;
  const { svg: legendSvg, top } = legend(chart.series);
  let body = '';
  chart.rows.forEach((row, r) => {
    const rowTop = top + r * rowHeight;
    const middle = rowTop + (chart.series.length * (BAR_HEIGHT + BAR_GAP)) / 2 + 4;
    body += `<text x="${LABEL_WIDTH - 8}" y="${middle}" class="label">${escapeXml(row.label)}</text>`;
    chart.series.forEach((series, s) => {
      const value = row.values[s] ?? null;
      const y = rowTop + s * (BAR_HEIGHT + BAR_GAP);
      if (value === null) {
        body += `<text x="${LABEL_WIDTH + 4}" y="${y + 12}" class="value">not measured</text>`;
        return;
      }
      const width = (Math.max(0, value) / max) * PLOT_WIDTH;
      body += bar(
        { row: row.label, series: series.name, value },
        LABEL_WIDTH,
        y,
        width,
        series.colour,
        'bar',
      );
      body += `<text x="${LABEL_WIDTH + width + 4}" y="${y + 12}" class="value">${format(value, chart.decimals)}</text>`;
    });
  });
  return plotted(chart, legendSvg, top, chart.rows.length * rowHeight, max, body);
}

/**
 * Horizontal bars, one per row, each made of its series end to end (say time per stage), with
 * the row's total beside it.
 */
export function stackedBarChart(chart: Chart): string {
  const totals = chart.rows.map((row) =>
    row.values.reduce<number>((sum, v) => sum + Math.max(0, v ?? 0), 0),
  );
  const max = niceMax(Math.max(0, ...totals));
  const rowHeight = BAR_HEIGHT + ROW_GAP;
  const { svg: legendSvg, top } = legend(chart.series);
  let body = '';
  chart.rows.forEach((row, r) => {
    const y = top + r * rowHeight;
    body += `<text x="${LABEL_WIDTH - 8}" y="${y + 12}" class="label">${escapeXml(row.label)}</text>`;
    let x = LABEL_WIDTH;
    chart.series.forEach((series, s) => {
      const value = row.values[s] ?? null;
      if (value === null || value <= 0) return;
      const width = (value / max) * PLOT_WIDTH;
      body += bar(
        { row: row.label, series: series.name, value },
        x,
        y,
        width,
        series.colour,
        'segment',
      );
      x += width;
    });
    body += `<text x="${x + 4}" y="${y + 12}" class="value">${format(totals[r] ?? 0, chart.decimals)}</text>`;
  });
  return plotted(chart, legendSvg, top, chart.rows.length * rowHeight, max, body);
}
