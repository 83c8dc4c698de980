import { expect } from 'chai';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yauzl from 'yauzl';
import { deploymentManifest, zipDirectory } from '../../scripts/package.js';

interface Entry {
  name: string;
  mode: number;
  text: string;
}

/** Reads every entry of a zip back with an independent reader (yauzl). */
async function readZip(path: string): Promise<Entry[]> {
  const zip = await yauzl.openPromise(path);
  const entries: Entry[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', reject);
      zip.on('end', resolve);
      zip.on('entry', (entry: yauzl.Entry) => {
        zip
          .openReadStreamPromise(entry)
          .then(async (stream) => {
            const chunks: Buffer[] = [];
            for await (const chunk of stream) chunks.push(chunk as Buffer);
            entries.push({
              name: entry.fileName,
              mode: (entry.externalFileAttributes >>> 16) & 0o777,
              text: Buffer.concat(chunks).toString('utf8'),
            });
            zip.readEntry();
          })
          .catch(reject);
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
  return entries;
}

describe('scripts/package', function () {
  let dir: string;

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), 'package-test-'));
  });

  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it('ships a package.json without scripts or devDependencies, keeping the entry point and dependencies', function () {
    const shipped = deploymentManifest({
      name: 'serverless-img',
      type: 'module',
      main: 'dist/functions/index.js',
      scripts: { prepare: 'npm run build' },
      dependencies: { '@azure/functions': '^4.0.0' },
      devDependencies: { typescript: '^6.0.0' },
    });
    expect(shipped).to.deep.equal({
      name: 'serverless-img',
      type: 'module',
      main: 'dist/functions/index.js',
      dependencies: { '@azure/functions': '^4.0.0' },
    });
  });

  it('zips the folder contents at the root of the archive, as Flex Consumption expects', async function () {
    const stage = join(dir, 'stage');
    mkdirSync(join(stage, 'dist', 'functions'), { recursive: true });
    mkdirSync(join(stage, 'node_modules', 'dep'), { recursive: true });
    writeFileSync(join(stage, 'host.json'), '{"version":"2.0"}');
    writeFileSync(join(stage, 'package.json'), '{"main":"dist/functions/index.js"}');
    writeFileSync(join(stage, 'dist', 'functions', 'index.js'), 'export {};');
    writeFileSync(join(stage, 'node_modules', 'dep', 'index.js'), 'module.exports = 1;');

    const zipPath = join(dir, 'package.zip');
    const written = await zipDirectory(stage, zipPath);
    const entries = await readZip(zipPath);

    expect(entries.map((entry) => entry.name)).to.have.members([
      'dist/functions/index.js',
      'host.json',
      'node_modules/dep/index.js',
      'package.json',
    ]);
    expect(written).to.have.members(entries.map((entry) => entry.name));
    expect(entries.find((entry) => entry.name === 'host.json')?.text).to.equal('{"version":"2.0"}');
  });

  it('leaves out node_modules/.bin shims and keeps executable bits of real files', async function () {
    const stage = join(dir, 'stage');
    mkdirSync(join(stage, 'node_modules', 'tool', 'bin'), { recursive: true });
    mkdirSync(join(stage, 'node_modules', '.bin'), { recursive: true });
    const script = join(stage, 'node_modules', 'tool', 'bin', 'run.js');
    writeFileSync(script, '#!/usr/bin/env node\n');
    chmodSync(script, 0o755);
    symlinkSync('../tool/bin/run.js', join(stage, 'node_modules', '.bin', 'run'));
    symlinkSync(join(dir, 'missing'), join(stage, 'node_modules', 'dangling'));

    const zipPath = join(dir, 'package.zip');
    await zipDirectory(stage, zipPath);
    const entries = await readZip(zipPath);

    expect(entries.map((entry) => entry.name)).to.deep.equal(['node_modules/tool/bin/run.js']);
    expect(entries[0]!.mode).to.equal(0o755);
  });
});
