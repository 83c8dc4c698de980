import { expect } from 'chai';
import { availableParallelism } from 'node:os';
import { parseCliArgs, UsageError } from '../../../lib/cli/args.js';

const LIST = JSON.stringify([
  { container: 'output', width: 800, height: 600 },
  { container: 'large', width: 1600, height: 1200, fit: 'inside', format: 'webp' },
]);

describe('cli/args', () => {
  it('crops the default thumbnail at --position and turns web-ready results off with --no-*', () => {
    const args = parseCliArgs([
      'process',
      'x',
      '--out',
      'o',
      '--position',
      'attention',
      '--no-placeholder',
      '--no-dominant-color',
      '--no-perceptual-hash',
    ]);
    expect(args.options.renditions?.[1]).to.include({ fit: 'cover', position: 'attention' });
    expect(args.options).to.include({
      placeholder: false,
      dominantColor: false,
      perceptualHash: false,
    });
    expect(() => parseCliArgs(['process', 'x', '--out', 'o', '--position', 'top'])).to.throw(
      UsageError,
      /--position expects centre, entropy, attention, got "top"/,
    );
    expect(() =>
      parseCliArgs(['process', 'x', '--out', 'o', '--fit', 'contain', '--position', 'entropy']),
    ).to.throw(UsageError, /needs --fit cover/);
    expect(() =>
      parseCliArgs(['process', 'x', '--out', 'o', '--renditions', '[]', '--position', 'entropy']),
    ).to.throw(UsageError, /--position/);
  });

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

  it('maps the size, fit and quality flags onto the two default renditions, and the limits onto theirs', () => {
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
      renditions: [
        {
          container: 'output',
          width: 1024,
          height: 768,
          fit: 'inside',
          format: 'auto',
          quality: 90,
        },
        {
          container: 'thumbnails',
          width: 200,
          height: 100,
          fit: 'contain',
          format: 'auto',
          quality: 90,
        },
      ],
      maxPixels: 5_000_000,
      maxBytes: 1000,
      includeGps: false,
      shrinkOnLoad: false,
    });
    expect(args.concurrency).to.equal(3);
    expect(args.timeoutMs).to.equal(2500);
    expect(args.json).to.equal(true);
  });

  it('takes a --renditions list given inline, filling the fields left out', () => {
    const args = parseCliArgs(['process', 'x', '--out', 'o', '--renditions', LIST]);
    expect(args.options.renditions).to.deep.equal([
      { container: 'output', width: 800, height: 600, fit: 'inside', format: 'auto', quality: 82 },
      { container: 'large', width: 1600, height: 1200, fit: 'inside', format: 'webp', quality: 82 },
    ]);
    expect(args.renditionsFile).to.equal(undefined);
  });

  it('leaves a --renditions file to be read, with or without an @', () => {
    for (const given of ['lists/r.json', '@lists/r.json']) {
      const args = parseCliArgs(['process', 'x', '--out', 'o', '--renditions', given]);
      expect(args.renditionsFile).to.equal('lists/r.json');
      expect(args.options.renditions).to.equal(undefined);
    }
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
    [
      'a quality over 100',
      ['process', 'x', '--out', 'o', '--quality', '101'],
      /--quality expects an integer between 1 and 100, got 101/,
    ],
    [
      'a zero width',
      ['process', 'x', '--out', 'o', '--max-width', '0'],
      /--max-width expects an integer between 1 and 16384, got 0/,
    ],
    [
      'a negative size',
      ['process', 'x', '--out', 'o', '--thumbnail-size', '-5'],
      /thumbnail-size|ambiguous/,
    ],
    [
      'an unknown fit',
      ['process', 'x', '--out', 'o', '--fit', 'fill'],
      /--fit expects cover or contain, got "fill"/,
    ],
    [
      '--renditions with a flag that changes the default renditions',
      ['process', 'x', '--out', 'o', '--max-width', '10', '--renditions', LIST],
      /--renditions replaces the default renditions/,
    ],
    [
      'a --renditions list that is not JSON',
      ['process', 'x', '--out', 'o', '--renditions', '[{"container":'],
      /^Expected a JSON list of renditions \(.+\) for --renditions/,
    ],
    [
      'a --renditions entry out of range',
      ['process', 'x', '--out', 'o', '--renditions', '[{"container":"big","width":0,"height":1}]'],
      /^Expected integer between 1 and 16384 for --renditions\[0\]\.width but received 0/,
    ],
    [
      'a --renditions entry in the metadata folder',
      [
        'process',
        'x',
        '--out',
        'o',
        '--renditions',
        '[{"container":"metadata","width":1,"height":1}]',
      ],
      /for --renditions\[0\]\.container but received metadata/,
    ],
    [
      'an empty --renditions',
      ['process', 'x', '--out', 'o', '--renditions', ' '],
      /--renditions expects a JSON list or a file path/,
    ],
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
