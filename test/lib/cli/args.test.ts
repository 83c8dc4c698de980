import { expect } from 'chai';
import { availableParallelism } from 'node:os';
import { parseCliArgs, UsageError } from '../../../lib/cli/args.js';

describe('cli/args', () => {
  it('reads inputs, --out and defaults concurrency to the number of CPUs', () => {
    const args = parseCliArgs(['process', 'a.jpg', 'photos', '--out', 'out']);
    expect(args).to.deep.equal({
      help: false,
      inputs: ['a.jpg', 'photos'],
      out: 'out',
      options: {},
      concurrency: availableParallelism(),
      timeoutMs: 120_000,
      json: false,
    });
  });

  it('defaults concurrency to 64 on a host with more CPUs, and still refuses 65 when asked', () => {
    expect(parseCliArgs(['process', 'a.jpg', '--out', 'out'], 96).concurrency).to.equal(64);
    expect(parseCliArgs(['process', 'a.jpg', '--out', 'out', '--concurrency', '8'], 96)).to.include(
      { concurrency: 8 },
    );
    expect(() =>
      parseCliArgs(['process', 'a.jpg', '--out', 'out', '--concurrency', '65'], 96),
    ).to.throw(UsageError, /between 1 and 64, got 65/);
  });

  it('maps every processing flag onto its ProcessOptions field', () => {
    const args = parseCliArgs([
      'process',
      'x',
      '--out=o',
      '--max-width',
      '1024',
      '--max-height',
      '768',
      '--thumbnail-size',
      '200',
      '--thumbnail-height',
      '100',
      '--fit',
      'contain',
      '--quality',
      '90',
      '--max-pixels',
      '5000000',
      '--max-bytes',
      '1000',
      '--no-gps',
      '--no-shrink-on-load',
      '--concurrency',
      '3',
      '--timeout',
      '2.5',
      '--json',
    ]);
    expect(args.options).to.deep.equal({
      maxWidth: 1024,
      maxHeight: 768,
      thumbnailWidth: 200,
      thumbnailHeight: 100,
      thumbnailFit: 'contain',
      quality: 90,
      maxPixels: 5_000_000,
      maxBytes: 1000,
      includeGps: false,
      shrinkOnLoad: false,
    });
    expect(args.concurrency).to.equal(3);
    expect(args.timeoutMs).to.equal(2500);
    expect(args.json).to.equal(true);
  });

  it('recognises --help without a command', () => {
    expect(parseCliArgs(['--help']).help).to.equal(true);
    expect(parseCliArgs(['-h']).help).to.equal(true);
  });

  const bad: [string, string[], RegExp][] = [
    ['no command', [], /No command/],
    ['an unknown command', ['resize', 'x', '--out', 'o'], /Unknown command "resize"/],
    ['no inputs', ['process', '--out', 'o'], /No files or folders/],
    ['no --out', ['process', 'x'], /--out <dir> is required/],
    ['an unknown flag', ['process', 'x', '--out', 'o', '--width', '3'], /Unknown option '--width'/],
    [
      'a non-numeric quality',
      ['process', 'x', '--out', 'o', '--quality', 'high'],
      /--quality expects a positive integer/,
    ],
    ['a quality over 100', ['process', 'x', '--out', 'o', '--quality', '101'], /quality/],
    ['a zero width', ['process', 'x', '--out', 'o', '--max-width', '0'], /maxWidth/],
    [
      'a negative size',
      ['process', 'x', '--out', 'o', '--thumbnail-size', '-5'],
      /thumbnail-size|ambiguous/,
    ],
    ['an unknown fit', ['process', 'x', '--out', 'o', '--fit', 'fill'], /thumbnailFit/],
    ['a zero concurrency', ['process', 'x', '--out', 'o', '--concurrency', '0'], /--concurrency/],
    ['a zero timeout', ['process', 'x', '--out', 'o', '--timeout', '0'], /--timeout/],
    ['a non-numeric timeout', ['process', 'x', '--out', 'o', '--timeout', 'soon'], /--timeout/],
  ];
  for (const [what, argv, message] of bad) {
    it(`refuses ${what} with a usage error`, () => {
      expect(() => parseCliArgs(argv)).to.throw(UsageError, message);
    });
  }
});
