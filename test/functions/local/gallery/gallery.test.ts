/**
 * The gallery page in a real browser (Debian's Chromium driven by playwright-core, never a
 * downloaded browser) against the local runtime in this process: Azurite behind the recording
 * proxy, events raised from commits, the real app. Without Chromium the suite is skipped
 * locally and fails in CI. `GALLERY_SCREENSHOTS=1` also writes the screenshots in docs/.
 */
import { existsSync } from 'node:fs';
import { expect } from 'chai';
import { BlobServiceClient } from '@azure/storage-blob';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createApp } from '../../../../functions/app.js';
import type { Config } from '../../../../functions/config.js';
import { azuriteConnectionString } from '../../../../functions/local/azurite.js';
import { galleryRoutes } from '../../../../functions/local/gallery/routes.js';
import { startFaultProxy, type FaultProxy } from '../../../../functions/local/load/proxy.js';
import { startLocalRuntime, type LocalRuntime } from '../../../../functions/local/runtime.js';
import { SAMPLES, uploadSamples } from '../../../../functions/local/samples.js';
import { blobPropertiesReader } from '../../../../functions/local/storage-events.js';
import { useAzurite } from '../../../helpers/azurite.js';
import { createContainers, fixture, readJson, testConfig, useImageRunner } from '../../support.js';

const CHROMIUM = '/usr/bin/chromium';
const MAX_BYTES = 1_000_000;
const SCREENSHOTS = process.env['GALLERY_SCREENSHOTS'] !== undefined;

/** Skips the suite without Chromium, unless in CI (there it must run). */
function requireChromium(context: Mocha.Context): void {
  if (existsSync(CHROMIUM)) return;
  const hint = 'install it with: apt-get update && apt-get install -y chromium';
  if (process.env['CI']) throw new Error(`${CHROMIUM} is missing: ${hint}`);
  console.warn(`Skipping the gallery's browser tests: ${CHROMIUM} is missing (${hint}).`);
  context.skip();
}

/** The part of an `HTMLImageElement` the tests read (this project compiles without the DOM library). */
interface ImageLike {
  alt: string;
  width: number;
  naturalWidth: number;
  decode(): Promise<void>;
}

function card(name: string): string {
  return `li.card[data-name="${name}"]`;
}

describe('functions/local/gallery (the page in Chromium)', function () {
  this.timeout(60_000);
  const azurite = useAzurite();
  const images = useImageRunner();
  let proxy: FaultProxy;
  let runtime: LocalRuntime;
  let close: () => Promise<void>;
  let browser: Browser;
  let page: Page;
  let client: BlobServiceClient;
  let config: Config;

  before(async function () {
    requireChromium(this);
    proxy = await startFaultProxy(azurite.port);
    config = testConfig(azuriteConnectionString(proxy.port), 'gal', {
      IMG_MAX_BYTES: String(MAX_BYTES),
    });
    client = BlobServiceClient.fromConnectionString(azuriteConnectionString(proxy.port));
    await createContainers(client, config);
    const app = createApp(config, { serviceClient: client, runner: images.runner });
    runtime = await startLocalRuntime({
      config,
      serviceClient: client,
      app,
      httpPort: 0,
      routes: galleryRoutes(config, client),
      recorder: { proxy, properties: blobPropertiesReader(azurite.serviceClient) },
      pollMs: 1_000,
      delivery: { responseWindowMs: 30_000, scheduleScale: 0.001, maxAttempts: 3 },
    });
    runtime.startEvents();
    await uploadSamples(client.getContainerClient(config.containers.input));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${runtime.host.url}/`);
    close = async () => {
      await browser.close();
      await runtime.stop();
      await proxy.close();
    };
  });
  after(async () => {
    await close?.();
  });

  async function waitForStatus(name: string, status: string): Promise<void> {
    await page.waitForSelector(`${card(name)}[data-status="${status}"]`);
  }

  it('shows every sample with a thumbnail the browser decoded, and the broken ones as failures', async () => {
    for (const sample of SAMPLES) {
      const broken = sample.blob.startsWith('samples/broken/');
      await waitForStatus(sample.blob, broken ? 'failed' : 'succeeded');
    }
    const decoded = await page.$$eval('li.card[data-status="succeeded"] .thumb img', (imgs) =>
      Promise.all(
        imgs.map(async (node) => {
          const img = node as unknown as ImageLike;
          await img.decode();
          return img.naturalWidth;
        }),
      ),
    );
    expect(decoded).to.have.length(SAMPLES.length - 2);
    expect(decoded.every((width) => width > 0)).to.equal(true);
    const alts = await page.$$eval('.thumb img', (imgs) =>
      imgs.map((img) => img.getAttribute('alt')),
    );
    expect(alts.every((alt) => alt?.startsWith('Thumbnail of '))).to.equal(true);
    if (SCREENSHOTS) await page.screenshot({ path: 'docs/gallery-grid.png' });
  });

  it("puts each card's image on its dominant colour, over its placeholder decoded in the page", async () => {
    const name = 'samples/camera with gps.jpg';
    await waitForStatus(name, 'succeeded');
    const { image } = await readJson<{ image: { dominantColor: string } }>(
      client,
      config.containers.metadata,
      `${name}.json`,
    );
    const background = await page.$eval(
      `${card(name)} .thumb`,
      (node) =>
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        (globalThis as any).getComputedStyle(node).backgroundColor,
    );
    const [r, g, b] = [1, 3, 5].map((at) => parseInt(image.dominantColor.slice(at, at + 2), 16));
    expect(background).to.equal(`rgb(${r}, ${g}, ${b})`);
    const placeholder = await page.getAttribute(`${card(name)} .thumb img`, 'data-placeholder');
    expect(placeholder).to.match(/^data:image\/png;base64,/);
  });

  it("shows each broken sample's error code and message on its card", async () => {
    for (const name of ['samples/broken/truncated.jpg', 'samples/broken/not an image.jpg']) {
      const record = await readJson<{ error: { code: string; message: string } }>(
        client,
        config.containers.metadata,
        `${name}.json`,
      );
      await waitForStatus(name, 'failed');
      const text = await page.textContent(`${card(name)} .error`);
      expect(text).to.contain(record.error.code).and.to.contain(record.error.message);
    }
  });

  it('uploads a file picked on the page under the folder typed, and shows it processed', async () => {
    await page.fill('#prefix', 'mine/');
    await page.setInputFiles('#files', {
      name: 'alpha.png',
      mimeType: 'image/png',
      buffer: fixture('png/alpha.png'),
    });
    await waitForStatus('mine/alpha.png', 'succeeded');
    const first = await page.getAttribute('#grid > li:first-child', 'data-name');
    expect(first).to.equal('mine/alpha.png');
  });

  it('shows the original and every rendition at real size in the detail view', async () => {
    await waitForStatus('samples/camera with gps.jpg', 'succeeded');
    await page.click(`${card('samples/camera with gps.jpg')} h3 a`);
    await page.waitForSelector('#detail:not([hidden]) .renditions figure');
    const figures = await page.$$eval('#detail .renditions img', (imgs) =>
      Promise.all(
        imgs.map(async (node) => {
          const img = node as unknown as ImageLike;
          await img.decode();
          return { alt: img.alt, natural: img.naturalWidth, shown: img.width };
        }),
      ),
    );
    expect(figures).to.have.length(config.image.renditions.length + 1);
    for (const { natural, shown } of figures) expect(shown).to.equal(natural).and.above(0);
    const containers = config.image.renditions.map((r) => r.container);
    for (const container of containers) {
      expect(figures.some((f) => f.alt.startsWith(`${container} rendition`))).to.equal(true);
    }
    const stages = await page.$$eval('#detail tbody th', (cells) => cells.length);
    expect(stages).to.be.above(0);
    expect(await page.textContent('#detail dl.facts')).to.contain('Camera');
    if (SCREENSHOTS) await page.locator('#detail').screenshot({ path: 'docs/gallery-detail.png' });
    await page.click('#detail a.close');
    await page.waitForSelector('#detail[hidden]', { state: 'attached' });
  });

  it('deletes an input from its card: the card goes and the BlobDeleted path removes its results', async () => {
    await waitForStatus('mine/alpha.png', 'succeeded');
    await page.click(`${card('mine/alpha.png')} button.delete`);
    await page.waitForSelector(card('mine/alpha.png'), { state: 'detached' });
    await runtime.idle();
    const metadata = client.getContainerClient(config.containers.metadata);
    expect(await metadata.getBlobClient('mine/alpha.png.json').exists()).to.equal(false);
  });

  it('refuses a name with ".." and a file over IMG_MAX_BYTES with a message, storing nothing', async () => {
    await page.fill('#prefix', '../elsewhere');
    await page.setInputFiles('#files', {
      name: 'x.png',
      mimeType: 'image/png',
      buffer: fixture('png/alpha.png'),
    });
    await page.waitForSelector('#messages .refused');
    expect(await page.textContent('#messages'))
      .to.contain('"../elsewhere/x.png"')
      .and.contain('".."');
    await page.fill('#prefix', '');
    await page.setInputFiles('#files', {
      name: 'huge.jpg',
      mimeType: 'image/jpeg',
      buffer: Buffer.alloc(MAX_BYTES + 1),
    });
    await page.waitForSelector('#messages:has-text("IMG_MAX_BYTES")');
    const input = client.getContainerClient(config.containers.input);
    expect(await input.getBlobClient('huge.jpg').exists()).to.equal(false);
    expect(await input.getBlobClient('../elsewhere/x.png').exists()).to.equal(false);
  });
});
