import { RestError } from '@azure/storage-blob';
import { expect } from 'chai';
import {
  classifyStorageError,
  ConfigError,
  PermanentStorageError,
  TransientStorageError,
} from '../../functions/errors.js';

const restError = (statusCode: number | undefined, code?: string): RestError =>
  new RestError(`status ${String(statusCode)}`, {
    ...(statusCode === undefined ? {} : { statusCode }),
    ...(code === undefined ? {} : { code }),
  });

describe('functions/errors', () => {
  it('treats throttling, timeouts, 5xx, auth not yet propagated and network errors as transient', () => {
    for (const status of [408, 429, 500, 503, 401, 403, undefined]) {
      const error = classifyStorageError('download input/a.jpg', restError(status, 'ECONNRESET'));
      expect(error, String(status)).to.be.instanceOf(TransientStorageError);
      expect(error.code).to.equal('STORAGE_TRANSIENT');
      expect(error.permanent).to.equal(false);
    }
  });

  it('treats other 4xx answers as permanent, keeping the status and storage code in the message', () => {
    const error = classifyStorageError('write output/a.jpg', restError(400, 'InvalidBlobName'));
    expect(error).to.be.instanceOf(PermanentStorageError);
    expect(error.permanent).to.equal(true);
    expect(error.message).to.include('HTTP 400').and.include('InvalidBlobName');
    expect(error.message).to.include('write output/a.jpg');
  });

  it('keeps an adapter error as it is', () => {
    const original = new ConfigError('IMG_QUALITY', 'an integer', 'x');
    expect(classifyStorageError('anything', original)).to.equal(original);
  });
});
