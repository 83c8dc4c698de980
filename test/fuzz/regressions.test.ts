/**
 * Cases the fuzz suite found, kept as files: each once made a decoder loop for seconds or
 * forever (omggif's and utif2's LZW decoders, utif2's directory reader, jpeg-js on a header
 * that lies about the size). Each must now end quickly, inline (no worker and no time limit
 * to rescue it), in a typed CORRUPT_IMAGE error. The file name says what it was.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImageError, loadCodecs, processImage } from '../../lib/index.js';

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'regressions');

describe('fuzz regressions: inputs that once hung a decoder', () => {
  before(async () => {
    await loadCodecs();
  });

  const files = readdirSync(DIR).sort();

  it('has the regression files', () => {
    expect(files.length).to.be.greaterThan(5);
  });

  for (const file of files) {
    it(`ends ${file} in CORRUPT_IMAGE`, async () => {
      const bytes = new Uint8Array(readFileSync(path.join(DIR, file)));
      const error = await processImage(bytes, { name: file }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).to.be.instanceOf(ImageError);
      expect((error as ImageError).code, (error as Error).message).to.equal('CORRUPT_IMAGE');
    });
  }
});
