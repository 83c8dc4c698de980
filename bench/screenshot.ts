/**
 * A PNG of the report page for the docs, taken by Debian's Chromium (the browser the gallery
 * tests use; `.ci/run` installs it) through playwright-core: never a downloaded browser.
 */
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

/** Where Debian installs Chromium (`apt-get install -y chromium`). */
export const CHROMIUM = '/usr/bin/chromium';

/** Renders the page at `htmlPath` and writes a full-page screenshot to `pngPath`. */
export async function screenshotPage(
  htmlPath: string,
  pngPath: string,
  executablePath = CHROMIUM,
): Promise<void> {
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 950, height: 800 } });
    await page.goto(pathToFileURL(htmlPath).href);
    await page.screenshot({ path: pngPath, fullPage: true });
  } finally {
    await browser.close();
  }
}
