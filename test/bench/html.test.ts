/**
 * The report page: what its charts draw (read back from the markup), and that it renders in a
 * real browser (Debian's Chromium through playwright-core; without it that part is skipped
 * locally and fails in CI, as the gallery's browser tests do).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { chromium, type Browser } from 'playwright-core';
import { renderHtml, writeHtmlReport } from '../../bench/html.js';
import { CHROMIUM } from '../../bench/screenshot.js';
import { result } from './sample-result.js';

/** The bars of the chart titled `title`: row, series and value (to 4 decimals) of each, in order. */
function barsOf(html: string, title: string) {
  const start = html.indexOf(`aria-label="${title}`);
  expect(start, `a chart titled ${title}`).to.be.greaterThan(-1);
  const svg = html.slice(start, html.indexOf('</svg>', start));
  return [...svg.matchAll(/data-row="([^"]*)" data-series="([^"]*)" data-value="([^"]*)"/g)].map(
    (m) => [m[1], m[2], Math.round(Number(m[3]) * 1e4) / 1e4],
  );
}

/** Skips the browser tests without Chromium, unless in CI (there they must run). */
function requireChromium(context: Mocha.Context): void {
  if (existsSync(CHROMIUM)) return;
  const hint = 'install it with: apt-get update && apt-get install -y chromium';
  if (process.env['CI']) throw new Error(`${CHROMIUM} is missing: ${hint}`);
  console.warn(`Skipping the report page's browser tests: ${CHROMIUM} is missing (${hint}).`);
  context.skip();
}

describe('bench report page', () => {
  const html = renderHtml(result);

  it('draws ours and sharp per case: median time and peak RSS', () => {
    expect(barsOf(html, 'Time per image')).to.deep.equal([
      ['jpeg-12mp', 'ours', 300],
      ['jpeg-12mp', 'sharp', 60],
      ['png-12mp', 'ours', 500],
      ['png-12mp', 'sharp', 250],
    ]);
    expect(barsOf(html, 'Peak RSS')).to.deep.equal([
      ['jpeg-12mp', 'ours', 200],
      ['jpeg-12mp', 'sharp', 100],
      ['png-12mp', 'ours', 360],
      ['png-12mp', 'sharp', 240],
    ]);
  });

  it('stacks our stages per case', () => {
    expect(barsOf(html, 'Ours per stage')).to.deep.equal([
      ['jpeg-12mp', 'decode', 250],
      ['jpeg-12mp', 'resize', 30],
      ['jpeg-12mp', 'encode', 20],
      ['png-12mp', 'decode', 300],
      ['png-12mp', 'resize', 180],
      ['png-12mp', 'encode', 20],
    ]);
  });

  it('splits both cold starts into boot, import, first image and the rest of the wall time', () => {
    const bars = barsOf(html, 'Cold start');
    expect(bars.filter((bar) => bar[0] === 'ours').map((bar) => bar[2])).to.deep.equal([
      40, 300, 450, 22.3456,
    ]);
    expect(bars.filter((bar) => bar[0] === 'sharp').map((bar) => bar[2])).to.deep.equal([
      40, 150, 180, 36,
    ]);
  });

  it('prices a million images for both sides at the deployed size, with the rates and their date', () => {
    expect(barsOf(html, 'A million images')).to.deep.equal([
      ['jpeg-12mp', 'ours', 16],
      ['jpeg-12mp', 'sharp', 3.52],
      ['png-12mp', 'ours', 26.4],
      ['png-12mp', 'sharp', 13.4],
    ]);
    expect(html).to.include('<th>ours $ (4096 MB)</th>');
    expect(html).to.include(`as of ${result.costModel?.rates.asOf}`);
  });

  it('is self-contained: no script, no stylesheet or image fetched from elsewhere', () => {
    expect(html).to.not.match(/<script|<link|src=|@import|url\(/i);
  });

  it('leaves out the sections a run did not measure', () => {
    const bare = renderHtml({ ...result, coldStart: null, costModel: undefined });
    expect(bare).to.not.include('Cold start');
    expect(bare).to.not.include('A million images');
    expect(bare).to.include('Time per image');
  });

  describe('in Chromium', function () {
    this.timeout(60_000);
    let browser: Browser;
    let dir: string;

    before(async function () {
      requireChromium(this);
      dir = await mkdtemp(join(tmpdir(), 'bench-html-'));
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    });

    after(async () => {
      await browser?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('renders every chart, its bars as wide as their values say', async () => {
      const path = join(dir, 'report.html');
      await writeHtmlReport(result, path);
      expect(await readFile(path, 'utf8')).to.equal(html);
      const page = await browser.newPage();
      await page.goto(`file://${path}`);
      expect(await page.locator('svg.chart').count()).to.equal(5);
      const time = page.locator('svg[aria-label^="Time per image"] rect.bar');
      const widths = await time.evaluateAll((rects) =>
        rects.map(
          (rect) =>
            (
              rect as unknown as { getBoundingClientRect(): { width: number } }
            ).getBoundingClientRect().width,
        ),
      );
      expect(widths).to.have.length(4);
      // 300 ms (ours, jpeg-12mp) against 60 ms (sharp) on one scale.
      expect((widths[0] ?? 0) / (widths[1] ?? 1)).to.be.closeTo(5, 0.05);
      await page.close();
    });
  });
});
