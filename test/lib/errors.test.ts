import { expect } from 'chai';
import {
  CorruptImageError,
  ImageError,
  InternalError,
  isCodedError,
  toImageError,
} from '../../lib/errors.js';

describe('errors', () => {
  describe('toImageError', () => {
    it('passes an ImageError through unchanged', () => {
      const corrupt = new CorruptImageError('a.jpg', 'bad Huffman code');
      expect(toImageError('a.jpg', corrupt)).to.equal(corrupt);
    });

    it('makes anything else INTERNAL: not permanent, the original kept as the cause', () => {
      const bug = new TypeError("Cannot read properties of undefined (reading 'width')");
      const error = toImageError('a/b.jpg', bug);
      expect(error).to.be.instanceOf(InternalError);
      expect(error).to.include({ code: 'INTERNAL', permanent: false, name: 'InternalError' });
      expect(error.cause).to.equal(bug);
      expect(error.message).to.equal(
        "Processing a/b.jpg failed on an internal error (TypeError: Cannot read properties of undefined (reading 'width')); this is a bug in serverless-img, not a problem with the image.",
      );
      expect(error.toJSON()).to.deep.equal({
        code: 'INTERNAL',
        message: error.message,
        permanent: false,
      });
    });

    it('describes a thrown value that is not an Error', () => {
      const error = toImageError('x.png', 42);
      expect(error.code).to.equal('INTERNAL');
      expect(error.message).to.contain('(42)');
    });
  });

  describe('isCodedError', () => {
    it('accepts an Error with a string code and a boolean permanent', () => {
      const adapterError = Object.assign(new Error('storage said 503'), {
        code: 'STORAGE_TRANSIENT',
        permanent: false,
      });
      expect(isCodedError(adapterError)).to.equal(true);
      expect(isCodedError(new ImageError('TIMEOUT', 'slow'))).to.equal(true);
    });

    it('refuses plain objects, errors without permanence and Node system errors', () => {
      expect(isCodedError({ code: 'X', message: 'y', permanent: true })).to.equal(false);
      expect(isCodedError(Object.assign(new Error('gone'), { code: 'ENOENT' }))).to.equal(false);
      expect(isCodedError(Object.assign(new Error('?'), { code: 1, permanent: true }))).to.equal(
        false,
      );
      expect(isCodedError(undefined)).to.equal(false);
    });
  });
});
