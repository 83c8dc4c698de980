import { expect } from 'chai';
import {
  DELIVERY_FLAGS,
  deliveryFlags,
  integerFlag,
  numberFlag,
  parseFlags,
  POSITIVE_INTEGER,
} from '../../../functions/local/args.js';

describe('functions/local/args', () => {
  const flags = {
    count: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  } as const;

  it('reads the declared flags with their defaults, and undefined for --help', () => {
    expect(parseFlags(['--json'], flags)).to.deep.equal({ count: '3', json: true });
    expect(parseFlags(['--count', '7'], flags)).to.deep.equal({ count: '7', json: false });
    expect(parseFlags(['--count', '7', '--help'], flags)).to.equal(undefined);
  });

  it('refuses a flag it does not know', () => {
    expect(() => parseFlags(['--counts', '1'], flags)).to.throw(/Unknown option '--counts'/);
  });

  it('reads an integer in range, and names the flag and the value when it is not', () => {
    const port = { expected: 'a port number', min: 0, max: 65535 };
    expect(integerFlag('port', '0', port)).to.equal(0);
    expect(integerFlag('images', '12', POSITIVE_INTEGER)).to.equal(12);
    for (const [raw, rule] of [
      ['65536', port],
      ['1.5', port],
      ['0', POSITIVE_INTEGER],
      ['many', POSITIVE_INTEGER],
    ] as const) {
      expect(() => integerFlag('n', raw, rule)).to.throw(
        `Expected ${rule.expected} for --n but received ${raw}`,
      );
    }
  });

  it('reads a number above a bound, fractions included, and names the flag when it is not', () => {
    const rule = { expected: 'a number above 0', above: 0 };
    expect(numberFlag('scale', '0.05', rule)).to.equal(0.05);
    for (const raw of ['0', '-1', '', 'fast']) {
      expect(() => numberFlag('scale', raw, rule)).to.throw(
        `Expected a number above 0 for --scale but received ${raw}`,
      );
    }
  });

  it("reads Event Grid's delivery flags, leaving out what was not given", () => {
    const parse = (argv: string[]) => deliveryFlags(parseFlags(argv, DELIVERY_FLAGS)!);
    expect(parse([])).to.deep.equal({
      responseWindowS: undefined,
      scheduleScale: undefined,
      maxAttempts: 10,
    });
    expect(
      parse(['--delivery-timeout-s', '5', '--retry-schedule-scale', '0.05', '--max-attempts', '3']),
    ).to.deep.equal({ responseWindowS: 5, scheduleScale: 0.05, maxAttempts: 3 });
    expect(() => parse(['--max-attempts', '31'])).to.throw(/--max-attempts but received 31/);
  });
});
