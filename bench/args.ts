/**
 * Command line of `npm run bench`: one parser, one message shape for a bad value.
 */
import { parseArgs } from 'node:util';
import { FLEX_RATES, type FlexRates } from './cost.js';

/** Where `--html` without a path writes the report page. */
export const DEFAULT_HTML_PATH = '.bench/report.html';

/** What the benchmark was asked to do. */
export interface BenchArgs {
  /** Print one JSON object on stdout instead of the tables. */
  json: boolean;
  /** Print the report as Markdown tables (for README's performance section). */
  markdown: boolean;
  /** Timed runs per case and side (7 by default; 1 is allowed for a smoke run). */
  runs: number;
  /** Untimed runs first, so JIT compilation and WASM instantiation are not timed. */
  warmup: number;
  /** Fresh processes for the cold start; 0 skips it. */
  coldRuns: number;
  /** Case names; empty means every case. */
  cases: string[];
  /** Skip compiling the library first (use `dist/` as it is). */
  skipBuild: boolean;
  /** Autogroup nice value for the measuring processes (see `Priority`); null leaves it alone. */
  nice: number | null;
  /** Compiled library to measure instead of `dist/lib/index.js` (e.g. an older build to compare). */
  lib: string | null;
  /** Also write the report page (charts) here; null writes none. */
  html: string | null;
  /** The Flex Consumption meter's prices the cost model uses (today's, or the command line's). */
  rates: FlexRates;
}

function count(name: string, raw: string, min: number): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > 1000) {
    throw new Error(
      `Expected integer between ${min} and 1000 for --${name} but received ${raw} of type string`,
    );
  }
  return value;
}

function niceValue(raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < -20 || value > 19) {
    throw new Error(
      `Expected integer between -20 and 19 for --nice but received ${raw} of type string`,
    );
  }
  return value;
}

function price(name: string, raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0) {
    throw new Error(
      `Expected non-negative number for --${name} but received ${raw} of type string`,
    );
  }
  return value;
}

/** Today's rates, with any the command line overrides (and a source that says so). */
function rates(perGbSecond: string | undefined, perMillion: string | undefined): FlexRates {
  if (perGbSecond === undefined && perMillion === undefined) return FLEX_RATES;
  return {
    usdPerGbSecond:
      perGbSecond === undefined
        ? FLEX_RATES.usdPerGbSecond
        : price('usd-per-gb-second', perGbSecond),
    usdPerMillionExecutions:
      perMillion === undefined
        ? FLEX_RATES.usdPerMillionExecutions
        : price('usd-per-million-executions', perMillion),
    asOf: new Date().toISOString().slice(0, 10),
    source: `the command line, over ${FLEX_RATES.source} as of ${FLEX_RATES.asOf}`,
  };
}

/** `--html` may stand alone (the default path) or take one: give the lone flag its default. */
function withHtmlPath(argv: readonly string[]): string[] {
  return argv.map((arg, i) => {
    const next = argv[i + 1];
    const alone = next === undefined || next.startsWith('--');
    return arg === '--html' && alone ? `--html=${DEFAULT_HTML_PATH}` : arg;
  });
}

/** Parses the benchmark's arguments (`--json`, `--runs N`, `--warmup N`, `--cases a,b`, …). */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const { values } = parseArgs({
    args: withHtmlPath(argv),
    options: {
      json: { type: 'boolean', default: false },
      markdown: { type: 'boolean', default: false },
      runs: { type: 'string', default: '7' },
      warmup: { type: 'string', default: '1' },
      'cold-runs': { type: 'string', default: '5' },
      cases: { type: 'string', default: '' },
      'skip-build': { type: 'boolean', default: false },
      lib: { type: 'string' },
      nice: { type: 'string' },
      html: { type: 'string' },
      'usd-per-gb-second': { type: 'string' },
      'usd-per-million-executions': { type: 'string' },
    },
  });
  return {
    json: values.json,
    markdown: values.markdown,
    runs: count('runs', values.runs, 1),
    warmup: count('warmup', values.warmup, 0),
    coldRuns: count('cold-runs', values['cold-runs'], 0),
    cases: values.cases
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name.length > 0),
    skipBuild: values['skip-build'],
    lib: values.lib ?? null,
    nice: values.nice === undefined ? null : niceValue(values.nice),
    html: values.html ?? null,
    rates: rates(values['usd-per-gb-second'], values['usd-per-million-executions']),
  };
}
