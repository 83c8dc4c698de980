import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import sharp from 'sharp';
import { main } from '../../../lib/cli/main.js';
import type { JsonSummary } from '../../../lib/cli/report.js';
import { metadataName } from '../../../lib/naming.js';
import type { FailureRecord, MetadataRecord, SuccessRecord } from '../../../lib/types.js';
import {
  colourName,
  expectedColour,
  FIXTURES,
  FIXTURES_DIR,
  getFixture,
  INVALID_FIXTURES,
  VALID_FIXTURES,
  type Fixture,
} from '../../fixtures.js';
import { autoFormat } from '../images.js';
import { validateMetadata } from './metadata-schema.js';

/** Runs the CLI in this process, capturing what it prints. */
async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  stdout.on('data', (chunk: Buffer) => chunks.stdout.push(chunk));
  stderr.on('data', (chunk: Buffer) => chunks.stderr.push(chunk));
  const code = await main(argv, { stdout, stderr });
  return {
    code,
    stdout: Buffer.concat(chunks.stdout).toString('utf8'),
    stderr: Buffer.concat(chunks.stderr).toString('utf8'),
  };
}

/** Files under `folder`, relative, sorted. */
async function listFiles(folder: string): Promise<string[]> {
  if (!existsSync(folder)) return [];
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(folder, path.join(entry.parentPath, entry.name)))
    .sort();
}

/** The size that fits inside the box, aspect kept, never upscaled (the spec, written again). */
function fit(width: number, height: number, boxWidth: number, boxHeight: number) {
  const scale = Math.min(1, boxWidth / width, boxHeight / height);
  return { width: Math.round(width * scale), height: Math.round(height * scale) };
}

/** Reads a written image with sharp (an independent decoder that reads every format we write). */
async function decode(file: string) {
  const image = sharp(await readFile(file));
  const { format, compression } = await image.metadata();
  const { data, info } = await image.ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const { width, height } = info;
  const at = (fx: number, fy: number) => {
    const offset = (Math.floor(fy * height) * width + Math.floor(fx * width)) * 4;
    return [...data.subarray(offset, offset + 4)];
  };
  // sharp names AVIF by its container (HEIF) and codec (AV1).
  const read = format === 'heif' && compression === 'av1' ? 'avif' : format;
  return { width, height, at, format: read };
}

const CONTENT_TYPES = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  avif: 'image/avif',
  gif: 'image/gif',
};

/** Sample points well inside each region of a layout. */
function samplePoints(fixture: Fixture): [number, number][] {
  const steps = fixture.layout === 'quadrants' ? [0.25, 0.75] : [0.17, 0.5, 0.83];
  return steps.flatMap((x) => steps.map((y): [number, number] => [x, y]));
}

/** Checks sampled colours (and transparency) of an upright picture of `fixture`'s layout. */
function expectLayout(
  fixture: Fixture,
  picture: { at: (x: number, y: number) => number[] },
  what: string,
) {
  if (fixture.layout === undefined) return;
  for (const [fx, fy] of samplePoints(fixture)) {
    const pixel = picture.at(fx, fy);
    if (fixture.transparentQuadrant === 'bottom-right' && fx > 0.5 && fy > 0.5) {
      expect(pixel[3], `${what} alpha at ${fx},${fy}`).to.equal(0);
      continue;
    }
    const expected = expectedColour(fixture.layout, fx, fy);
    if (expected !== undefined) {
      expect(colourName(pixel), `${what} at ${fx},${fy} is ${pixel.join(',')}`).to.equal(expected);
    }
  }
}

describe('serverless-img process (CLI, in-process, real library)', function () {
  this.timeout(180_000);
  let scratch: string;

  before(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'cli-main-'));
  });
  after(() => rm(scratch, { recursive: true, force: true }));

  describe('on every file in fixtures/images', () => {
    let out: string;
    let result: { code: number; stdout: string; stderr: string };
    let summary: JsonSummary;
    const outcome = (fixture: Fixture) => {
      const found = summary.files.find((file) => file.name === fixture.name);
      if (found === undefined) throw new Error(`${fixture.name} is not in the summary`);
      return found;
    };

    before(async () => {
      out = path.join(scratch, 'all');
      result = await run(['process', FIXTURES_DIR, '--out', out, '--json', '--concurrency', '2']);
      summary = JSON.parse(result.stdout) as JsonSummary;
    });

    it('exits with 1 because some fixtures are bad, after processing all of them', () => {
      expect(result.code).to.equal(1);
      expect(summary.total).to.equal(FIXTURES.length);
      expect(summary.processed).to.equal(VALID_FIXTURES.length);
      expect(summary.failed).to.equal(INVALID_FIXTURES.length);
      expect(summary.skipped).to.deep.equal([]);
    });

    it('prints only the JSON summary on stdout, with counts per error code', () => {
      const expected: Record<string, number> = {};
      for (const fixture of INVALID_FIXTURES) {
        const code = fixture.errorCode as string;
        expected[code] = (expected[code] ?? 0) + 1;
      }
      expect(summary.failures).to.deep.equal(expected);
      expect(summary.out).to.equal(path.resolve(out));
      expect(summary.durationMs).to.be.a('number').and.be.greaterThan(0);
      expect(summary.files.map((file) => file.name)).to.deep.equal(
        FIXTURES.map((fixture) => fixture.name).sort(),
      );
    });

    it('writes exactly one metadata document per input, and images only for the good ones', async () => {
      const metadata = await listFiles(path.join(out, 'metadata'));
      expect(metadata).to.deep.equal(FIXTURES.map((f) => metadataName(f.name)).sort());
      const images = VALID_FIXTURES.map((f) => f.name);
      expect(await listFiles(path.join(out, 'output'))).to.deep.equal([...images].sort());
      expect(await listFiles(path.join(out, 'thumbnails'))).to.deep.equal([...images].sort());
    });

    for (const fixture of VALID_FIXTURES) {
      it(`processes ${fixture.name} (${fixture.description})`, async () => {
        const format = autoFormat(fixture.format, fixture.hasAlpha);
        const contentType = CONTENT_TYPES[format];
        const name = fixture.name;
        const file = outcome(fixture);
        expect(file.status, JSON.stringify(file.error)).to.equal('succeeded');
        expect(file.format).to.equal(fixture.format);
        expect(file.renditions?.map((r) => [r.path, r.format, r.contentType])).to.deep.equal([
          [`output/${name}`, format, contentType],
          [`thumbnails/${name}`, format, contentType],
        ]);
        expect(file.metadata).to.equal(`metadata/${metadataName(fixture.name)}`);

        const resized = fit(fixture.uprightWidth, fixture.uprightHeight, 800, 600);
        const output = await decode(path.join(out, 'output', name));
        expect(output.format).to.equal(format);
        expect({ width: output.width, height: output.height }).to.deep.equal(resized);
        expectLayout(fixture, output, 'output');

        const thumbnail = await decode(path.join(out, 'thumbnails', name));
        // Cover fills the 150x150 box unless the source itself is smaller (never upscaled).
        expect({ width: thumbnail.width, height: thumbnail.height }).to.deep.equal({
          width: Math.min(150, fixture.uprightWidth),
          height: Math.min(150, fixture.uprightHeight),
        });
        if (fixture.layout === 'quadrants' || fixture.layout === 'single-red') {
          expectLayout(fixture, thumbnail, 'thumbnail');
        }
        if (fixture.layout === 'thirds-across' || fixture.layout === 'thirds-down') {
          // Cover-cropped around the centre: only the middle (green) third remains.
          for (const [fx, fy] of samplePoints(fixture)) {
            expect(colourName(thumbnail.at(fx, fy)), `thumbnail at ${fx},${fy}`).to.equal('green');
          }
        }

        const record = JSON.parse(
          await readFile(path.join(out, 'metadata', metadataName(fixture.name)), 'utf8'),
        ) as MetadataRecord;
        validateMetadata(record);
        expect(record.status).to.equal('succeeded');
        const success = record as SuccessRecord;
        const bytes = await readFile(fixture.path);
        expect(success.source).to.include({
          name: fixture.name,
          bytes: bytes.length,
          sha256: createHash('sha256').update(bytes).digest('hex'),
          format: fixture.format,
        });
        expect(success.image).to.include({
          width: fixture.width,
          height: fixture.height,
          orientation: fixture.orientation,
          hasAlpha: fixture.hasAlpha,
          animated: fixture.animated,
        });
        const optional = ['frameCount', 'bitDepth', 'colorSpace', 'progressive'] as const;
        for (const key of optional) {
          if (fixture[key] !== undefined) expect(success.image[key], key).to.equal(fixture[key]);
        }
        expect(success.renditions[0]).to.include({
          container: 'output',
          name,
          format,
          contentType,
          ...resized,
        });
        expect(success.renditions[1]).to.include({
          container: 'thumbnails',
          name,
          format,
          contentType,
          width: thumbnail.width,
          height: thumbnail.height,
        });
        if (fixture.exif !== undefined) {
          const { gps, ...rest } = fixture.exif;
          expect(success.exif).to.include(rest);
          expect(success.exif?.gps?.latitude).to.be.closeTo(gps?.latitude ?? NaN, 1e-4);
          expect(success.exif?.gps?.longitude).to.be.closeTo(gps?.longitude ?? NaN, 1e-4);
          expect(success.exif?.gps?.altitude).to.be.closeTo(gps?.altitude ?? NaN, 0.5);
        }
      });
    }

    for (const fixture of INVALID_FIXTURES) {
      it(`fails ${fixture.name} (${fixture.description}) with ${fixture.errorCode}`, async () => {
        const file = outcome(fixture);
        expect(file.status).to.equal('failed');
        expect(file.error?.code).to.equal(fixture.errorCode);
        const record = JSON.parse(
          await readFile(path.join(out, 'metadata', metadataName(fixture.name)), 'utf8'),
        ) as FailureRecord;
        validateMetadata(record);
        expect(record.status).to.equal('failed');
        expect(record.error.code).to.equal(fixture.errorCode);
        expect(record.source.name).to.equal(fixture.name);
        expect(record.source.bytes).to.equal((await readFile(fixture.path)).length);
      });
    }
  });

  describe('exit codes and output', () => {
    it('exits with 0 and prints a summary table when every file succeeds', async () => {
      const out = path.join(scratch, 'one');
      const result = await run([
        'process',
        getFixture('orientation/exif-6.jpg').path,
        '--out',
        out,
      ]);
      expect(result.code).to.equal(0);
      expect(result.stdout).to.match(/^processed\s+1$/m);
      expect(result.stdout).to.match(/^failed\s+0$/m);
      expect(result.stdout).to.match(/^total time\s+\d+\.\d\d s$/m);
      expect(await listFiles(path.join(out, 'output'))).to.deep.equal(['exif-6.jpg']);
    });

    it('lists failed files with their codes in the table', async () => {
      const out = path.join(scratch, 'bad');
      const result = await run(['process', path.join(FIXTURES_DIR, 'bad'), '--out', out]);
      expect(result.code).to.equal(1);
      expect(result.stdout).to.match(/^empty\.jpg\s+EMPTY_INPUT\s+/m);
      expect(result.stdout).to.match(/^failed\s+4 \(/m);
    });

    it('exits with 2 and prints the usage on stderr for a bad command line', async () => {
      const result = await run(['process', FIXTURES_DIR]);
      expect(result.code).to.equal(2);
      expect(result.stdout).to.equal('');
      expect(result.stderr).to.match(/--out <dir> is required/);
      expect(result.stderr).to.match(/^Usage: serverless-img process/m);
    });

    it('exits with 2 when an input does not exist, before writing anything', async () => {
      const out = path.join(scratch, 'missing');
      const result = await run(['process', path.join(scratch, 'nope'), '--out', out]);
      expect(result.code).to.equal(2);
      expect(await listFiles(out)).to.deep.equal([]);
    });

    it('prints the help on stdout with exit code 0', async () => {
      const result = await run(['--help']);
      expect(result.code).to.equal(0);
      expect(result.stdout).to.match(/--concurrency <n>/);
    });

    it('passes options through: box, thumbnail size, fit and GPS', async () => {
      const out = path.join(scratch, 'options');
      const camera = getFixture('jpeg/camera-exif-gps.jpg');
      const result = await run([
        'process',
        camera.path,
        getFixture('size/panorama.jpg').path,
        '--out',
        out,
        '--max-width',
        '320',
        '--max-height',
        '320',
        '--thumbnail-size',
        '64',
        '--fit',
        'contain',
        '--no-gps',
        '--json',
      ]);
      expect(result.code).to.equal(0);
      const summary = JSON.parse(result.stdout) as JsonSummary;
      const [cameraOutcome, panoramaOutcome] = summary.files;
      expect(cameraOutcome?.renditions?.[0]).to.include({ width: 320, height: 240 });
      expect(cameraOutcome?.renditions?.[1]).to.include({ width: 64, height: 48 });
      expect(panoramaOutcome?.renditions?.[1]).to.include({ width: 64, height: 11 });
      const record = JSON.parse(
        await readFile(path.join(out, 'metadata', 'camera-exif-gps.jpg.json'), 'utf8'),
      ) as SuccessRecord;
      expect(record.exif?.make).to.equal('Contoso');
      expect(record.exif?.gps).to.equal(undefined);
    });

    it('refuses a file over --max-bytes without reading it, with TOO_LARGE', async () => {
      const out = path.join(scratch, 'max-bytes');
      const result = await run([
        'process',
        getFixture('size/large-photo.jpg').path,
        '--out',
        out,
        '--max-bytes',
        '1000',
        '--json',
      ]);
      expect(result.code).to.equal(1);
      const summary = JSON.parse(result.stdout) as JsonSummary;
      expect(summary.files[0]?.error?.code).to.equal('TOO_LARGE');
      expect(await listFiles(path.join(out, 'metadata'))).to.deep.equal(['large-photo.jpg.json']);
      const record = JSON.parse(
        await readFile(path.join(out, 'metadata', 'large-photo.jpg.json'), 'utf8'),
      ) as FailureRecord;
      validateMetadata(record);
      // Refused unread: the file's size, and no hash or format of bytes never read.
      expect(record.source).to.deep.equal({
        name: 'large-photo.jpg',
        bytes: (await stat(getFixture('size/large-photo.jpg').path)).size,
      });
    });
  });

  describe('concurrency', () => {
    it('gives the same files, byte for byte, with 1 worker thread and with 3', async () => {
      const input = path.join(FIXTURES_DIR, 'orientation');
      const one = path.join(scratch, 'c1');
      const three = path.join(scratch, 'c3');
      expect((await run(['process', input, '--out', one, '--concurrency', '1'])).code).to.equal(0);
      expect((await run(['process', input, '--out', three, '--concurrency', '3'])).code).to.equal(
        0,
      );
      for (const container of ['output', 'thumbnails']) {
        const files = await listFiles(path.join(one, container));
        expect(files).to.have.length(8);
        expect(await listFiles(path.join(three, container))).to.deep.equal(files);
        for (const file of files) {
          const a = await readFile(path.join(one, container, file));
          const b = await readFile(path.join(three, container, file));
          expect(a.equals(b), `${container}/${file}`).to.equal(true);
        }
      }
    });
  });

  describe('time limit', () => {
    it('fails a file that outlives --timeout with TIMEOUT, records it, and goes on', async () => {
      const out = path.join(scratch, 'timeout');
      const result = await run([
        'process',
        getFixture('size/large-photo.jpg').path,
        getFixture('size/panorama.jpg').path,
        '--out',
        out,
        '--timeout',
        '0.001',
        '--concurrency',
        '1',
        '--json',
      ]);
      expect(result.code).to.equal(1);
      const summary = JSON.parse(result.stdout) as JsonSummary;
      expect(summary.files.map((file) => file.error?.code)).to.deep.equal(['TIMEOUT', 'TIMEOUT']);
      const record = JSON.parse(
        await readFile(path.join(out, 'metadata', 'large-photo.jpg.json'), 'utf8'),
      ) as FailureRecord;
      validateMetadata(record);
      expect(record.error.code).to.equal('TIMEOUT');
      expect(record.source.sha256).to.equal(
        createHash('sha256')
          .update(await readFile(getFixture('size/large-photo.jpg').path))
          .digest('hex'),
      );
      expect(await listFiles(path.join(out, 'output'))).to.deep.equal([]);
    });
  });

  describe('results under the input name, and renditions', () => {
    it('gives a.jpg, a.png, a.webp, a.gif and a.bmp side by side results of their own', async () => {
      const input = path.join(scratch, 'same-base-in');
      const out = path.join(scratch, 'same-base-out');
      await mkdir(input);
      const sources = {
        'a.jpg': 'orientation/exif-1.jpg',
        'a.png': 'png/palette.png',
        'a.webp': 'other/lossy.webp',
        'a.gif': 'other/animated.gif',
        'a.bmp': 'other/bmp.bmp',
      };
      for (const [name, fixture] of Object.entries(sources)) {
        await copyFile(getFixture(fixture).path, path.join(input, name));
      }
      const result = await run(['process', input, '--out', out, '--json']);
      const summary = JSON.parse(result.stdout) as JsonSummary;
      expect(result.code, result.stderr).to.equal(0);
      const names = Object.keys(sources).sort();
      expect(await listFiles(path.join(out, 'output'))).to.deep.equal(names);
      expect(await listFiles(path.join(out, 'thumbnails'))).to.deep.equal(names);
      expect(await listFiles(path.join(out, 'metadata'))).to.deep.equal(
        names.map((name) => `${name}.json`),
      );
      const expected: Record<string, keyof typeof CONTENT_TYPES> = {
        'a.bmp': 'jpeg',
        'a.gif': 'jpeg',
        'a.jpg': 'jpeg',
        'a.png': 'png',
        'a.webp': 'webp',
      };
      for (const name of names) {
        const format = expected[name]!;
        const file = summary.files.find((candidate) => candidate.name === name)!;
        expect(
          file.renditions?.map((r) => r.contentType),
          name,
        ).to.deep.equal([CONTENT_TYPES[format], CONTENT_TYPES[format]]);
        for (const container of ['output', 'thumbnails']) {
          const written = await decode(path.join(out, container, name));
          expect(written.format, `${container}/${name}`).to.equal(format);
          expect(colourName(written.at(0.25, 0.25)), `${container}/${name}`).to.equal('red');
        }
        const record = JSON.parse(
          await readFile(path.join(out, 'metadata', `${name}.json`), 'utf8'),
        ) as SuccessRecord;
        validateMetadata(record);
        const bytes = await readFile(path.join(input, name));
        expect(record.source).to.include({
          name,
          sha256: createHash('sha256').update(bytes).digest('hex'),
        });
        expect(record.renditions.map((r) => [r.container, r.name, r.contentType])).to.deep.equal([
          ['output', name, CONTENT_TYPES[format]],
          ['thumbnails', name, CONTENT_TYPES[format]],
        ]);
      }
    });

    const LARGE = { container: 'large', width: 1600, height: 1200, fit: 'inside', format: 'webp' };
    const THREE = JSON.stringify([
      { container: 'output', width: 800, height: 600, fit: 'inside', format: 'auto' },
      { container: 'thumbnails', width: 150, height: 150, fit: 'cover', format: 'auto' },
      LARGE,
    ]);

    /** Runs the CLI with three renditions and checks the WebP files it writes to large/. */
    async function expectLargeWebp(out: string, renditions: string): Promise<void> {
      const photo = getFixture('size/large-photo.jpg');
      const camera = getFixture('jpeg/camera-exif-gps.jpg');
      const result = await run([
        'process',
        photo.path,
        camera.path,
        '--out',
        out,
        '--renditions',
        renditions,
        '--json',
      ]);
      expect(result.code, result.stderr).to.equal(0);
      expect(await listFiles(out)).to.deep.equal(
        ['large', 'metadata', 'output', 'thumbnails']
          .flatMap((container) =>
            ['camera-exif-gps.jpg', 'large-photo.jpg'].map((name) =>
              path.join(container, container === 'metadata' ? `${name}.json` : name),
            ),
          )
          .sort(),
      );
      for (const fixture of [photo, camera]) {
        const name = path.basename(fixture.name);
        const large = await decode(path.join(out, 'large', name));
        const size = fit(fixture.uprightWidth, fixture.uprightHeight, 1600, 1200);
        expect({ format: large.format, width: large.width, height: large.height }).to.deep.equal({
          format: 'webp',
          ...size,
        });
        const output = await decode(path.join(out, 'output', name));
        expect(output).to.include({
          format: 'jpeg',
          ...fit(fixture.uprightWidth, fixture.uprightHeight, 800, 600),
        });
        const record = JSON.parse(
          await readFile(path.join(out, 'metadata', `${name}.json`), 'utf8'),
        ) as SuccessRecord;
        validateMetadata(record);
        expect(record.renditions[2]).to.include({
          container: 'large',
          name,
          format: 'webp',
          contentType: 'image/webp',
          ...size,
        });
        expect(record.settings.renditions[2]).to.deep.equal({ ...LARGE, quality: 82 });
      }
    }

    it('writes a third rendition given inline as WebP files to large/ that sharp reads at their size', async () => {
      await expectLargeWebp(path.join(scratch, 'three-inline'), THREE);
    });

    it('reads the same list from a file, named as a path or with @', async () => {
      const file = path.join(scratch, 'renditions.json');
      await writeFile(file, THREE);
      await expectLargeWebp(path.join(scratch, 'three-file'), file);
      const again = await run([
        'process',
        getFixture('orientation/exif-1.jpg').path,
        '--out',
        path.join(scratch, 'three-at'),
        '--renditions',
        `@${file}`,
      ]);
      expect(again.code).to.equal(0);
      expect(await listFiles(path.join(scratch, 'three-at', 'large'))).to.deep.equal([
        'exif-1.jpg',
      ]);
    });

    it('exits with 2 and the same message for a bad list, inline or in a file, writing nothing', async () => {
      const bad = JSON.stringify([{ container: 'output', width: 800, height: 0 }]);
      const file = path.join(scratch, 'bad-renditions.json');
      await writeFile(file, bad);
      const message =
        'Expected integer between 1 and 16384 for --renditions[0].height but received 0 of type number';
      for (const given of [bad, file]) {
        const out = path.join(scratch, 'bad-list');
        const result = await run([
          'process',
          getFixture('orientation/exif-1.jpg').path,
          '--out',
          out,
          '--renditions',
          given,
        ]);
        expect(result.code).to.equal(2);
        expect(result.stderr).to.contain(`serverless-img: ${message}\n`);
        expect(await listFiles(out)).to.deep.equal([]);
      }
    });

    it('exits with 2 when --renditions names a file that cannot be read', async () => {
      const result = await run([
        'process',
        getFixture('orientation/exif-1.jpg').path,
        '--out',
        path.join(scratch, 'no-list'),
        '--renditions',
        path.join(scratch, 'missing.json'),
      ]);
      expect(result.code).to.equal(2);
      expect(result.stderr).to.match(/--renditions .*missing\.json: not a JSON list, and no file/);
    });
  });

  describe('never writes outside --out', () => {
    it('refuses names with .. segments and does not follow symlinked folders', async () => {
      const base = path.join(scratch, 'escape');
      const input = path.join(base, 'in', 'deep');
      const out = path.join(base, 'out');
      const secret = path.join(base, 'secret');
      await mkdir(input, { recursive: true });
      await mkdir(secret, { recursive: true });
      const sample = getFixture('orientation/exif-1.jpg').path;
      await copyFile(sample, path.join(secret, 'private.jpg'));
      // On POSIX a backslash is an ordinary file-name character; on Windows it separates.
      await copyFile(sample, path.join(input, '..\\..\\..\\evil.jpg'));
      await copyFile(sample, path.join(input, 'fine.jpg'));
      await symlink(secret, path.join(input, 'link-to-secret'));
      await writeFile(path.join(base, 'marker'), 'before');
      const before = await listFiles(base);

      const result = await run(['process', input, '--out', out, '--json', '--concurrency', '1']);
      const summary = JSON.parse(result.stdout) as JsonSummary;

      expect(result.code).to.equal(1);
      expect(summary.files.map((file) => [file.name, file.status, file.error?.code])).to.deep.equal(
        [
          ['..\\..\\..\\evil.jpg', 'failed', 'UNSAFE_PATH'],
          ['fine.jpg', 'succeeded', undefined],
        ],
      );
      expect(summary.skipped.map((entry) => entry.reason)).to.deep.equal([
        'is a symbolic link to a folder (not followed)',
      ]);
      const after = (await listFiles(base)).filter((file) => !file.startsWith(`out${path.sep}`));
      expect(after).to.deep.equal(before);
      expect(await listFiles(out)).to.deep.equal([
        path.join('metadata', 'fine.jpg.json'),
        path.join('output', 'fine.jpg'),
        path.join('thumbnails', 'fine.jpg'),
      ]);
    });

    it('refuses to write through a symlink planted inside --out', async () => {
      const base = path.join(scratch, 'planted');
      const out = path.join(base, 'out');
      const elsewhere = path.join(base, 'elsewhere');
      await mkdir(out, { recursive: true });
      await mkdir(elsewhere);
      await symlink(elsewhere, path.join(out, 'thumbnails'));
      const result = await run([
        'process',
        getFixture('orientation/exif-3.jpg').path,
        '--out',
        out,
        '--json',
      ]);
      const summary = JSON.parse(result.stdout) as JsonSummary;
      expect(result.code).to.equal(1);
      expect(summary.files[0]?.error?.code).to.equal('UNSAFE_PATH');
      expect(await readdir(elsewhere)).to.deep.equal([]);
    });
  });
});
