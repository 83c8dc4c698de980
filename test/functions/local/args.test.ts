import { expect } from 'chai';
import { integerFlag, parseFlags, POSITIVE_INTEGER } from '../../../functions/local/args.js';

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
});
