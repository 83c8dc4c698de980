import { expect } from 'chai';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import {
  CorruptImageError,
  failureRecord,
  LIBRARY_NAME,
  LIBRARY_VERSION,
  loadCodecs,
  processImage,
  SCHEMA_VERSION,
  TooLargeError,
} from '../../lib/index.js';
import { jpegOf, photoLike, pngOf, quadrants, withExif } from './images.js';

const schema = JSON.parse(
  readFileSync(new URL('../../schemas/metadata.schema.json', import.meta.url), 'utf8'),
);
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
(addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
const validate = ajv.compile(schema);

function expectValid(document: unknown): void {
  const valid = validate(JSON.parse(JSON.stringify(document)));
  expect(validate.errors ?? [], JSON.stringify(validate.errors)).to.deep.equal([]);
  expect(valid).to.equal(true);
}

describe('metadata documents', () => {
  before(async () => {
    await loadCodecs();
  });

  it('carries the package name and version from package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect([LIBRARY_NAME, LIBRARY_VERSION]).to.deep.equal([pkg.name, pkg.version]);
  });

  it('validates a success record with EXIF and GPS against the JSON Schema', async () => {
    const jpeg = withExif(await jpegOf(photoLike(120, 90)), {
      ifd0: [{ tag: 0x010f, ascii: 'Contoso' }],
      exif: [{ tag: 0x9003, ascii: '2024:01:02 03:04:05' }],
      gps: [
        { tag: 1, ascii: 'N' },
        {
          tag: 2,
          rational: [
            [10, 1],
            [0, 1],
            [0, 1],
          ],
        },
        { tag: 3, ascii: 'E' },
        {
          tag: 4,
          rational: [
            [20, 1],
            [30, 1],
            [0, 1],
          ],
        },
      ],
    });
    const { metadata } = await processImage(jpeg, {
      name: 'a/b.jpg',
      declaredContentType: 'image/jpeg',
    });
    expect(metadata.schemaVersion).to.equal(SCHEMA_VERSION);
    expect(metadata.exif?.gps).to.deep.equal({ latitude: 10, longitude: 20.5 });
    expect(metadata.library).to.deep.equal({ name: LIBRARY_NAME, version: LIBRARY_VERSION });
    expectValid(metadata);
  });

  it('validates a success record of a transparent PNG without EXIF', async () => {
    const picture = quadrants(40, 40);
    picture.data.fill(0, 0, 400); // the first 100 pixels transparent
    const png = await pngOf(picture);
    const { metadata } = await processImage(png, { name: 'p.png' });
    expect(metadata.exif).to.equal(null);
    expect(metadata.image.hasAlpha).to.equal(true);
    expectValid(metadata);
  });

  it('validates failure records, with and without a detected format', () => {
    expectValid(
      failureRecord(
        { name: 'x.jpg', bytes: new Uint8Array(0) },
        new CorruptImageError('x.jpg', 'test'),
      ),
    );
    const png = failureRecord(
      {
        name: 'y.png',
        bytes: Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
        declaredContentType: 'image/png',
      },
      new Error('boom'),
    );
    expect(png.source.format).to.equal('png');
    expectValid(png);
  });

  it('records an input refused unread with its size and eTag, and no hash or format', () => {
    const record = failureRecord(
      { name: 'big.jpg', size: 5_000_000_000, eTag: '"0x8D"', declaredContentType: 'image/jpeg' },
      new TooLargeError('big.jpg', 5_000_000_000, 1000),
    );
    expect(record.source).to.deep.equal({
      name: 'big.jpg',
      bytes: 5_000_000_000,
      declaredContentType: 'image/jpeg',
      eTag: '"0x8D"',
    });
    expect(record.error).to.include({ code: 'TOO_LARGE', permanent: true });
    expectValid(record);
  });

  it('records the length, hash and format of the bytes it is given, whatever size is claimed', () => {
    const bytes = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0]);
    const record = failureRecord({ name: 'a.jpg', bytes, size: 99 }, new Error('x'));
    expect(record.source).to.include({ bytes: 4, format: 'jpeg' });
    expect(record.source.sha256).to.match(/^[0-9a-f]{64}$/);
  });

  it("keeps an adapter's typed error (code, message, permanent) as it is", () => {
    class AdapterError extends Error {
      readonly code = 'STORAGE_TRANSIENT';
      readonly permanent = false;
      toJSON(): object {
        return { code: this.code, extra: 'not recorded' };
      }
    }
    const record = failureRecord({ name: 'a.jpg' }, new AdapterError('storage said 503'));
    expect(record.error).to.deep.equal({
      code: 'STORAGE_TRANSIENT',
      message: 'storage said 503',
      permanent: false,
    });
    expectValid(record);
  });

  it('rejects a success record without the hash of its source', async () => {
    const { metadata } = await processImage(await jpegOf(photoLike(20, 20)), { name: 'h.jpg' });
    const unhashed = JSON.parse(JSON.stringify(metadata));
    delete unhashed.source.sha256;
    expect(validate(unhashed)).to.equal(false);
  });

  it('validates a record of four renditions in four formats, WebP and AVIF among them', async () => {
    const renditions = [
      { container: 'output', width: 60, height: 60, fit: 'inside', format: 'auto', quality: 82 },
      { container: 'thumbnails', width: 20, height: 20, fit: 'cover', format: 'png', quality: 82 },
      { container: 'large', width: 100, height: 100, fit: 'inside', format: 'webp', quality: 82 },
      { container: 'modern', width: 50, height: 50, fit: 'contain', format: 'avif', quality: 60 },
    ] as const;
    const { metadata } = await processImage(await jpegOf(photoLike(120, 90)), {
      name: 'many.jpg',
      renditions: renditions.map((rendition) => ({ ...rendition })),
    });
    expect(metadata.renditions.map((r) => [r.container, r.format, r.contentType])).to.deep.equal([
      ['output', 'jpeg', 'image/jpeg'],
      ['thumbnails', 'png', 'image/png'],
      ['large', 'webp', 'image/webp'],
      ['modern', 'avif', 'image/avif'],
    ]);
    expect(metadata.settings.renditions).to.deep.equal(renditions);
    expectValid(metadata);
  });

  it('rejects a rendition whose Content-Type is not its format, and the version 1 shape', async () => {
    const { metadata } = await processImage(await jpegOf(photoLike(20, 20)), { name: 'v.jpg' });
    const lying = JSON.parse(JSON.stringify(metadata));
    lying.renditions[0].contentType = 'image/png';
    expect(validate(lying)).to.equal(false);
    const noFingerprint = JSON.parse(JSON.stringify(metadata));
    delete noFingerprint.settings.fingerprint;
    expect(validate(noFingerprint)).to.equal(false);
    const badContainer = JSON.parse(JSON.stringify(metadata));
    badContainer.renditions[1].container = '../output';
    expect(validate(badContainer)).to.equal(false);
    const { renditions, settings, ...rest } = JSON.parse(JSON.stringify(metadata));
    const version1 = {
      ...rest,
      schemaVersion: 1,
      outputs: { output: renditions[0], thumbnail: renditions[1] },
    };
    expect(validate(version1)).to.equal(false);
    expect(settings.fingerprint).to.match(/^[0-9a-f]{16}$/);
  });

  it('rejects documents that break the schema (the schema is not a blank cheque)', async () => {
    const { metadata } = await processImage(await jpegOf(photoLike(20, 20)), { name: 'z.jpg' });
    const broken = JSON.parse(JSON.stringify(metadata));
    broken.image.orientation = 9;
    expect(validate(broken)).to.equal(false);
    const mixed = {
      ...JSON.parse(JSON.stringify(metadata)),
      error: { code: 'X', message: 'y', permanent: true },
    };
    expect(validate(mixed)).to.equal(false);
  });
});
