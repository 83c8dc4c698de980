/**
 * `npm run bench:report -- <results.json> [--html path] [--png path]`: renders a saved run
 * (`.bench/results/<date>.json`) again as the report page, and optionally a screenshot of it
 * (docs/performance-report.png), without measuring anything.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_HTML_PATH } from './args.js';
import { writeHtmlReport } from './html.js';
import type { BenchResult } from './report.js';
import { screenshotPage } from './screenshot.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { html: { type: 'string', default: DEFAULT_HTML_PATH }, png: { type: 'string' } },
});
const [saved] = positionals;
if (!saved) throw new Error('usage: bench/render.ts <results.json> [--html path] [--png path]');
const result = JSON.parse(await readFile(saved, 'utf8')) as BenchResult;
const html = resolve(values.html);
await writeHtmlReport(result, html);
process.stderr.write(`bench: report page written to ${html}\n`);
if (values.png !== undefined) {
  await screenshotPage(html, resolve(values.png));
  process.stderr.write(`bench: screenshot written to ${resolve(values.png)}\n`);
}
