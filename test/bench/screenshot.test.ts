import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { writeHtmlReport } from '../../bench/html.js';
import { CHROMIUM, screenshotPage } from '../../bench/screenshot.js';
import { result } from './sample-result.js';

describe('bench report screenshot', function () {
  this.timeout(60_000);
  let dir: string;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      if (process.env['CI']) throw new Error(`${CHROMIUM} is missing`);
      console.warn(`Skipping the report screenshot: ${CHROMIUM} is missing.`);
      this.skip();
    }
    dir = await mkdtemp(join(tmpdir(), 'bench-png-'));
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes a PNG of the whole page, taller than one screen', async () => {
    const html = join(dir, 'report.html');
    const png = join(dir, 'report.png');
    await writeHtmlReport(result, html);
    await screenshotPage(html, png);
    const bytes = await readFile(png);
    expect(bytes.subarray(1, 4).toString('latin1')).to.equal('PNG');
    // IHDR: width and height, big-endian, at bytes 16 and 20.
    expect(bytes.readUInt32BE(16)).to.equal(950);
    expect(bytes.readUInt32BE(20)).to.be.greaterThan(800);
  });
});
