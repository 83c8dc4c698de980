import { expect } from 'chai';
import { median, medianByKey, range, ratio, round } from '../../bench/stats.js';

describe('bench stats', () => {
  it('takes the middle value of an odd count, whatever the order', () => {
    expect(median([30, 10, 20])).to.equal(20);
    expect(median([5])).to.equal(5);
  });

  it('averages the two middle values of an even count', () => {
    expect(median([4, 1, 3, 2])).to.equal(2.5);
  });

  it('does not reorder the list it is given', () => {
    const runs = [3, 1, 2];
    median(runs);
    expect(runs).to.deep.equal([3, 1, 2]);
  });

  it('refuses an empty list instead of returning NaN', () => {
    expect(() => median([])).to.throw(RangeError);
    expect(() => range([])).to.throw(RangeError);
  });

  it('reports the spread of the runs', () => {
    expect(range([12, 7, 30])).to.deep.equal({ min: 7, max: 30 });
  });

  it('rounds to two decimals by default and to any given count', () => {
    expect(round(1.23456)).to.equal(1.23);
    expect(round(1.5, 0)).to.equal(2);
    expect(round(0.0456, 3)).to.equal(0.046);
  });

  it('gives ours/sharp as a rounded ratio, and no ratio against zero', () => {
    expect(ratio(300, 60)).to.equal(5);
    expect(ratio(100, 30)).to.equal(3.33);
    expect(ratio(100, 0)).to.equal(null);
    expect(ratio(Number.NaN, 10)).to.equal(null);
  });

  it('takes the median of each stage across runs, leaving out runs that lack a stage', () => {
    const runs: Record<string, number>[] = [
      { decode: 100, resize: 10, encode: 5 },
      { decode: 120, resize: 30 },
      { decode: 110, resize: 20, encode: 7 },
    ];
    expect(medianByKey(runs)).to.deep.equal({ decode: 110, resize: 20, encode: 6 });
    expect(Object.keys(medianByKey(runs))).to.deep.equal(['decode', 'resize', 'encode']);
  });
});
