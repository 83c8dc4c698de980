/** The ImageError a promise of the imaging core rejects with; fails the test if it resolves. */
import { expect } from 'chai';
import { ImageError } from '../../lib/errors.js';

export async function failure(promise: Promise<unknown>): Promise<ImageError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(ImageError);
    return error as ImageError;
  }
  throw new Error('expected processing to fail');
}
