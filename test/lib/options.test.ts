import { expect } from 'chai';
import { ImageError } from '../../lib/errors.js';
import { DEFAULT_OPTIONS, resolveOptions } from '../../lib/options.js';

describe('options', () => {
  it('fills every field from the defaults', () => {
    expect(resolveOptions()).to.deep.equal(DEFAULT_OPTIONS);
  });

  it('keeps a given value and ignores an undefined one', () => {
    const options = resolveOptions({ quality: 90, maxWidth: undefined });
    expect(options.quality).to.equal(90);
    expect(options.maxWidth).to.equal(800);
  });

  it('refuses a width given as a string with one message shape', () => {
    const call = () => resolveOptions({ maxWidth: '800' as unknown as number });
    expect(call)
      .to.throw(
        ImageError,
        'Expected integer between 1 and 16384 for maxWidth but received 800 of type string',
      )
      .with.property('code', 'INVALID_OPTION');
  });

  it('refuses a quality out of range and an unknown fit', () => {
    expect(() => resolveOptions({ quality: 0 })).to.throw(/quality/);
    expect(() => resolveOptions({ thumbnailFit: 'fill' as 'cover' })).to.throw(/thumbnailFit/);
  });
});
