import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { METRIC_NAMES } from '../../../functions/telemetry/metrics.js';

const QUERIES = fileURLToPath(new URL('../../../docs/queries.kql', import.meta.url));
const CHECKER = fileURLToPath(new URL('./kql-check.ts', import.meta.url));

describe('docs/queries.kql', () => {
  let report: { query: string; errors: string[] }[];

  before(() => {
    const output = execFileSync(process.execPath, ['--import', 'tsx', CHECKER, QUERIES], {
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    });
    report = JSON.parse(output) as typeof report;
  });

  it('has every query an operator needs', () => {
    const text = readFileSync(QUERIES, 'utf8');
    for (const topic of [
      'Failures by error code',
      'p50 / p95',
      'Throughput per minute',
      'slowest images',
      'Dead letters',
    ]) {
      expect(text, topic).to.contain(topic);
    }
    expect(report.length).to.be.at.least(10);
  });

  it("parses and resolves every query with Kusto's own analyser against the tables it reads", () => {
    const failing = report.filter((entry) => entry.errors.length > 0);
    expect(failing, JSON.stringify(failing, null, 2)).to.deep.equal([]);
  });

  it('names only metrics the app emits', () => {
    const text = readFileSync(QUERIES, 'utf8');
    const used = [...text.matchAll(/name (?:==|in) \(?((?:"serverless_img\.[^"]+"(?:, *)?)+)/g)]
      .flatMap((match) => (match[1] ?? '').split(','))
      .map((quoted) => quoted.trim().replace(/"/g, ''));
    expect(used).to.include.members(Object.values(METRIC_NAMES));
    expect(Object.values(METRIC_NAMES)).to.include.members(used);
  });
});
