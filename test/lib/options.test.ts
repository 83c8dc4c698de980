import { expect } from 'chai';
import { ImageError } from '../../lib/errors.js';
import { DEFAULT_OPTIONS, DEFAULT_RENDITIONS, resolveOptions } from '../../lib/options.js';

describe('options', () => {
  it('fills every field from the defaults', () => {
    expect(resolveOptions()).to.deep.equal(DEFAULT_OPTIONS);
  });

  it('keeps a given value and ignores an undefined one', () => {
    const options = resolveOptions({ maxPixels: 1000, renditions: undefined });
    expect(options.maxPixels).to.equal(1000);
    expect(options.renditions).to.deep.equal(DEFAULT_RENDITIONS);
  });

  it('refuses a limit given as a string with one message shape', () => {
    const call = () => resolveOptions({ maxPixels: '800' as unknown as number });
    expect(call)
      .to.throw(
        ImageError,
        `Expected integer between 1 and ${Number.MAX_SAFE_INTEGER} for maxPixels but received 800 of type string`,
      )
      .with.property('code', 'INVALID_OPTION');
  });

  it('refuses a bad rendition, naming the entry and the field', () => {
    const renditions = [{ ...DEFAULT_RENDITIONS[0]!, quality: 0 }];
    expect(() => resolveOptions({ renditions })).to.throw(ImageError, /renditions\[0\]\.quality/);
  });

  it('defaults to the two renditions of old: output 800x600 inside, thumbnails 150x150 cover', () => {
    expect(DEFAULT_RENDITIONS).to.deep.equal([
      { container: 'output', width: 800, height: 600, fit: 'inside', format: 'auto', quality: 82 },
      {
        container: 'thumbnails',
        width: 150,
        height: 150,
        fit: 'cover',
        format: 'auto',
        quality: 82,
      },
    ]);
  });
});
