import { expect } from 'chai';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { buildChildren } from '../../bench/children.js';
import { measurePair, summarise } from '../../bench/measure.js';
import { measured } from '../../bench/report.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const benchDir = join(root, 'bench');

describe('bench measurement', () => {
  const image = { format: 'jpeg', width: 800, height: 600, bytes: 1000 };

  it('summarises runs as medians, and stages per stage', () => {
    const runs = [
      { ms: 30, cpuMs: 28, stagesMs: { decode: 20, encode: 5 } },
      { ms: 10, cpuMs: 9, stagesMs: { decode: 6, encode: 3 } },
      { ms: 20, cpuMs: 21, stagesMs: { decode: 12, encode: 4 } },
    ];
    const { result, stagesMs } = summarise(runs, {
      peakRssMb: 120,
      output: image,
      thumbnail: { ...image, width: 150, height: 150 },
    });
    expect(result).to.include({ medianMs: 20, minMs: 10, maxMs: 30, cpuMedianMs: 21 });
    expect(stagesMs).to.deep.equal({ decode: 12, encode: 4 });
  });

  describe('with real child processes', function () {
    this.timeout(60_000);
    let work: string;
    let children: { sharp: string };
    let input: string;

    before(async () => {
      // Under the repository's git-ignored .bench/, so the children resolve sharp from node_modules.
      await mkdir(join(root, '.bench'), { recursive: true });
      work = await mkdtemp(join(root, '.bench', 'test-measure-'));
      children = await buildChildren(benchDir, join(work, 'build'));
      input = join(work, 'photo.jpg');
      await sharp({ create: { width: 400, height: 300, channels: 3, background: '#3a6' } })
        .jpeg()
        .toFile(input);
    });

    after(async () => {
      await rm(work, { recursive: true, force: true });
    });

    it('times the sharp side run by run and reports its outputs and peak RSS', async () => {
      const { sharp: side, ours } = await measurePair(
        { sharp: { script: children.sharp, args: ['--input', input], what: 'sharp' }, ours: null },
        { warmup: 1, runs: 3 },
        30_000,
      );
      expect(ours).to.equal(null);
      if (!measured(side.result)) throw new Error(side.result.error);
      expect(side.result.runsMs).to.have.length(3);
      expect(side.result.peakRssMb).to.be.greaterThan(20);
      expect(side.result.output).to.include({ format: 'jpeg', width: 400, height: 300 });
      expect(side.result.thumbnail).to.include({ width: 150, height: 150 });
      expect(side.stagesMs).to.equal(null);
    });

    it('reports a side whose child fails as an error instead of throwing', async () => {
      const { sharp: side } = await measurePair(
        {
          sharp: {
            script: children.sharp,
            args: ['--input', join(work, 'missing.jpg')],
            what: 'sharp on a missing file',
          },
          ours: null,
        },
        { warmup: 1, runs: 2 },
        30_000,
      );
      expect(side.result)
        .to.have.property('error')
        .that.match(/sharp on a missing file failed/);
      expect(side.result)
        .to.have.property('error')
        .that.match(/ENOENT/);
    });
  });
});
