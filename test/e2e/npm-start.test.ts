import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { BlobServiceClient } from '@azure/storage-blob';
import { azuriteConnectionString } from '../../functions/local/azurite.js';
import { SAMPLES } from '../../functions/local/samples.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** The environment without any storage setting, so `npm start` brings its own Azurite. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith('IMAGES_STORAGE') || key.startsWith('AzureWebJobsStorage')) delete env[key];
  }
  return env;
}

describe('npm start (end to end, child process)', function () {
  this.timeout(240_000);

  it('--once --in-memory processes the samples and exits 0 with every blob accounted for', async () => {
    const child = spawn('npm', ['start', '--', '--once', '--in-memory', '--port', '0'], {
      cwd: ROOT,
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, `${stdout}\n${stderr}`).to.equal(0);
    const lines = stdout.split('\n');
    const perImage = lines.filter((line) => /^[✓✗] samples\//.test(line));
    expect(perImage).to.have.length(SAMPLES.length);
    const line = (name: string) =>
      perImage.find((l) => l.startsWith(`✓ ${name} `) || l.startsWith(`✗ ${name} `)) ?? '';
    expect(line('samples/camera with gps.jpg')).to.match(
      /^✓ .* → output [\d.]+ KB, thumbnails [\d.]+ KB {2}succeeded {2}\d+ ms/,
    );
    expect(line('samples/broken/truncated.jpg')).to.include('failed CORRUPT_IMAGE');
    expect(line('samples/broken/not an image.jpg')).to.include('failed UNSUPPORTED_FORMAT');
    expect(stdout).to.match(
      /\d+ with results, \d+ with a failure record, 0 dead-lettered, 0 unprocessed\./,
    );
  });

  it('keeps running: a blob uploaded afterwards raises its event and is processed, /api/health answers, and Ctrl+C stops it', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'functions/local/main.ts',
        '--in-memory',
        '--port',
        '0',
        '--http-port',
        '0',
        '--no-samples',
      ],
      { cwd: ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    const waitFor = (pattern: RegExp) =>
      new Promise<RegExpMatchArray>((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(stdout);
          if (match !== null) resolve(match);
        };
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          check();
        });
        child.once('exit', () => reject(new Error(`exited early:\n${stdout}`)));
        check();
      });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const [, port] = await waitFor(/Azurite blob service on http:\/\/127\.0\.0\.1:(\d+)/);
      const [, hostUrl] = await waitFor(/Functions host on (http:\/\/127\.0\.0\.1:\d+):/);
      await waitFor(/Watching input: events raised from the writes storage accepts/);
      const client = BlobServiceClient.fromConnectionString(azuriteConnectionString(Number(port)));
      await client
        .getContainerClient('input')
        .getBlockBlobClient('uploads/new photo.jpg')
        .uploadFile(path.join(ROOT, 'fixtures/images/jpeg/camera-exif-gps.jpg'));
      const [line] = await waitFor(/✓ uploads\/new photo\.jpg .*succeeded.*\n/);
      expect(line).to.include('thumbnail');
      const metadata = client
        .getContainerClient('metadata')
        .getBlobClient('uploads/new photo.jpg.json');
      expect(await metadata.exists()).to.equal(true);
      const health = await fetch(`${hostUrl}/api/health`);
      expect(await health.json()).to.deep.equal({ status: 'healthy' });
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).to.equal(0);
  });
});
