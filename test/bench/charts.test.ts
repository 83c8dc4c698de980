import { expect } from 'chai';
import { escapeXml, groupedBarChart, niceMax, stackedBarChart } from '../../bench/charts.js';

const SERIES = [
  { name: 'ours', colour: '#00f' },
  { name: 'sharp', colour: '#888' },
];

/** Every bar's (or segment's) data attributes and width, in document order. */
function bars(svg: string, className: string) {
  const pattern = new RegExp(
    `<rect class="${className}" data-row="([^"]*)" data-series="([^"]*)" data-value="([^"]*)" x="[^"]*" y="[^"]*" width="([^"]*)"`,
    'g',
  );
  return [...svg.matchAll(pattern)].map((m) => ({
    row: m[1],
    series: m[2],
    value: Number(m[3]),
    width: Number(m[4]),
  }));
}

describe('bench charts (inline SVG)', () => {
  it('ends the axis on a round number just above the largest value', () => {
    expect(niceMax(0)).to.equal(1);
    expect(niceMax(0.25)).to.equal(0.3);
    expect(niceMax(505)).to.equal(600);
    expect(niceMax(2177)).to.equal(2400);
    expect(niceMax(150)).to.equal(160);
    expect(niceMax(20)).to.equal(20);
  });

  it('draws one bar per row and series, as long as its value on the common scale', () => {
    const svg = groupedBarChart({
      title: 'time',
      unit: 'ms',
      series: SERIES,
      rows: [
        { label: 'jpeg-1mp', values: [40, 20] },
        { label: 'png-12mp', values: [500, 250] },
      ],
    });
    const drawn = bars(svg, 'bar');
    expect(drawn.map((b) => [b.row, b.series, b.value])).to.deep.equal([
      ['jpeg-1mp', 'ours', 40],
      ['jpeg-1mp', 'sharp', 20],
      ['png-12mp', 'ours', 500],
      ['png-12mp', 'sharp', 250],
    ]);
    const [small, , large] = drawn;
    expect((large?.width ?? 0) / (small?.width ?? 1)).to.be.closeTo(500 / 40, 0.05);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).to.equal(true);
  });

  it('says "not measured" instead of drawing a bar for a missing value', () => {
    const svg = groupedBarChart({
      title: 'time',
      unit: 'ms',
      series: SERIES,
      rows: [{ label: 'jpeg-1mp', values: [null, 20] }],
    });
    expect(bars(svg, 'bar').map((b) => b.series)).to.deep.equal(['sharp']);
    expect(svg).to.include('not measured');
  });

  it('stacks the segments of a row end to end and prints their total', () => {
    const svg = stackedBarChart({
      title: 'stages',
      unit: 'ms',
      series: [
        { name: 'decode', colour: '#f00' },
        { name: 'resize', colour: '#0f0' },
        { name: 'encode', colour: '#00f' },
      ],
      rows: [{ label: 'jpeg-12mp', values: [60, null, 40] }],
    });
    const segments = bars(svg, 'segment');
    expect(segments.map((s) => [s.series, s.value])).to.deep.equal([
      ['decode', 60],
      ['encode', 40],
    ]);
    const xs = [...svg.matchAll(/<rect class="segment"[^>]* x="([^"]*)"/g)].map((m) =>
      Number(m[1]),
    );
    expect(xs[1]).to.be.closeTo((xs[0] ?? 0) + (segments[0]?.width ?? 0), 0.2);
    expect(svg).to.match(/class="value">100</);
  });

  it('escapes labels, so a name cannot break the markup', () => {
    expect(escapeXml('a<b & "c">')).to.equal('a&lt;b &amp; &quot;c&quot;&gt;');
    const svg = groupedBarChart({
      title: '<x>',
      unit: 'ms',
      series: SERIES,
      rows: [{ label: 'a&b', values: [1, 2] }],
    });
    expect(svg).to.not.include('<x>');
    expect(svg).to.include('data-row="a&amp;b"');
  });
});
