import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { JsonSummary } from '../../../lib/cli/report.js';
import { FIXTURES_DIR } from '../../fixtures.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('bin/serverless-img.js (compiled, in a child process)', function () {
  this.timeout(240_000);
  // A private build of lib/ beside a copy of bin/, so the test neither depends on nor disturbs
  // the shared dist/; node_modules and package.json resolve from the repository above it.
  // Unique per run: other engineers' test runs may build at the same time.
  let sandbox: string;
  let out: string;

  before(async () => {
    await mkdir(path.join(ROOT, '.local'), { recursive: true });
    sandbox = await mkdtemp(path.join(ROOT, '.local', 'bin-test-'));
    out = path.join(sandbox, 'out');
    await mkdir(path.join(sandbox, 'bin'), { recursive: true });
    await writeFile(
      path.join(sandbox, 'tsconfig.json'),
      JSON.stringify({
        extends: '../../tsconfig.build.json',
        compilerOptions: { outDir: './dist', rootDir: '../..' },
        include: ['../../lib', '../../package.json'],
      }),
    );
    await run(process.execPath, [
      path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      path.join(sandbox, 'tsconfig.json'),
    ]);
    await copyFile(
      path.join(ROOT, 'bin', 'serverless-img.js'),
      path.join(sandbox, 'bin', 'serverless-img.js'),
    );
  });
  after(() => rm(sandbox, { recursive: true, force: true }));

  it('processes a folder with worker threads and prints the JSON summary', async () => {
    const { stdout } = await run(process.execPath, [
      path.join(sandbox, 'bin', 'serverless-img.js'),
      'process',
      path.join(FIXTURES_DIR, 'orientation'),
      '--out',
      out,
      '--json',
      '--concurrency',
      '2',
    ]);
    const summary = JSON.parse(stdout) as JsonSummary;
    expect(summary).to.include({ total: 8, processed: 8, failed: 0 });
    const record = JSON.parse(
      await readFile(path.join(out, 'metadata', 'exif-6.jpg.json'), 'utf8'),
    ) as { status: string; image: { orientation: number } };
    expect(record.status).to.equal('succeeded');
    expect(record.image.orientation).to.equal(6);
  });

  it('exits with 1 when a file fails and with 2 on a usage error', async () => {
    const bad = await run(process.execPath, [
      path.join(sandbox, 'bin', 'serverless-img.js'),
      'process',
      path.join(FIXTURES_DIR, 'bad', 'empty.jpg'),
      '--out',
      out,
    ]).catch((error: { code: number; stdout: string }) => error);
    expect((bad as { code: number }).code).to.equal(1);
    expect((bad as { stdout: string }).stdout).to.match(/EMPTY_INPUT/);

    const usage = await run(process.execPath, [
      path.join(sandbox, 'bin', 'serverless-img.js'),
      'process',
    ]).catch((error: { code: number; stderr: string }) => error);
    expect((usage as { code: number }).code).to.equal(2);
    expect((usage as { stderr: string }).stderr).to.match(/Usage: serverless-img/);
  });
});
