/**
 * `tsx bench/compare.ts <before.json> <after.json>`: two saved benchmark runs (from
 * `.bench/results/`) side by side as a Markdown table, for README's performance section.
 */
import { readFile } from 'node:fs/promises';
import { renderComparison, type BenchResult } from './report.js';

const [beforePath, afterPath] = process.argv.slice(2);
if (!beforePath || !afterPath) {
  process.stderr.write('usage: tsx bench/compare.ts <before.json> <after.json>\n');
  process.exit(2);
}
const read = async (path: string) => JSON.parse(await readFile(path, 'utf8')) as BenchResult;
process.stdout.write(renderComparison(await read(beforePath), await read(afterPath)));
