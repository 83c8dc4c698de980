import { expect } from 'chai';
import { DEFAULT_HTML_PATH, parseBenchArgs } from '../../bench/args.js';
import { CASES, selectCases } from '../../bench/cases.js';
import { FLEX_RATES } from '../../bench/cost.js';

describe('bench arguments', () => {
  it('defaults to tables, 7 timed runs after 1 warm-up, every case', () => {
    const args = parseBenchArgs([]);
    expect(args).to.deep.equal({
      json: false,
      markdown: false,
      runs: 7,
      warmup: 1,
      coldRuns: 5,
      cases: [],
      skipBuild: false,
      lib: null,
      nice: null,
      html: null,
      rates: FLEX_RATES,
    });
    expect(selectCases(args.cases).map((c) => c.name)).to.deep.equal(CASES.map((c) => c.name));
  });

  it('reads --json, --runs and a comma-separated --cases list', () => {
    const args = parseBenchArgs(['--json', '--runs', '7', '--cases', 'jpeg-12mp, png-12mp']);
    expect(args.json).to.equal(true);
    expect(args.runs).to.equal(7);
    expect(selectCases(args.cases).map((c) => c.name)).to.deep.equal(['jpeg-12mp', 'png-12mp']);
  });

  it('refuses a run count that is not a positive integer', () => {
    expect(() => parseBenchArgs(['--runs', '0'])).to.throw(/--runs/);
    expect(() => parseBenchArgs(['--runs', 'five'])).to.throw(/--runs/);
  });

  it('reads a --nice value and refuses one outside -20..19', () => {
    expect(parseBenchArgs(['--nice=-10']).nice).to.equal(-10);
    expect(() => parseBenchArgs(['--nice=-21'])).to.throw(/--nice/);
  });

  it('writes the report page to .bench/report.html for a lone --html, or to the path given', () => {
    expect(parseBenchArgs(['--html']).html).to.equal(DEFAULT_HTML_PATH);
    expect(parseBenchArgs(['--html', '--json']).html).to.equal(DEFAULT_HTML_PATH);
    expect(parseBenchArgs(['--json', '--html', 'out/page.html']).html).to.equal('out/page.html');
    expect(parseBenchArgs(['--html=page.html']).html).to.equal('page.html');
  });

  it("takes the meter's rates from the command line, saying where they came from", () => {
    const args = parseBenchArgs(['--usd-per-gb-second', '0.00003']);
    expect(args.rates.usdPerGbSecond).to.equal(0.00003);
    expect(args.rates.usdPerMillionExecutions).to.equal(FLEX_RATES.usdPerMillionExecutions);
    expect(args.rates.source).to.include('command line');
    expect(() => parseBenchArgs(['--usd-per-million-executions', '-1'])).to.throw(
      /--usd-per-million-executions/,
    );
  });

  it('names the known cases when asked for an unknown one', () => {
    expect(() => selectCases(['jpeg-48mp'])).to.throw(/jpeg-48mp.*jpeg-12mp/);
  });
});
