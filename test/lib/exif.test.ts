import { expect } from 'chai';
import { readExif, normaliseExif } from '../../lib/exif.js';
import { loadCodecs, processImage } from '../../lib/index.js';
import {
  jpegOf,
  photoLike,
  pngChunk,
  pngOf,
  quadrants,
  tiffExif,
  withExif,
  type ExifSpec,
  renditionIn,
} from './images.js';

const CAMERA: ExifSpec = {
  ifd0: [
    { tag: 0x010f, ascii: 'Contoso' },
    { tag: 0x0110, ascii: 'Model X' },
    { tag: 0x0112, short: [3] },
  ],
  exif: [
    { tag: 0x829a, rational: [[1, 250]] },
    { tag: 0x829d, rational: [[28, 10]] },
    { tag: 0x8827, short: [400] },
    { tag: 0x9003, ascii: '2024:05:06 07:08:09' },
    { tag: 0x9011, ascii: '-03:00' },
    { tag: 0x9291, ascii: '42' },
    { tag: 0x920a, rational: [[50, 1]] },
    { tag: 0xa434, ascii: 'RF 50mm F1.8' },
  ],
  gps: [
    { tag: 0x0001, ascii: 'S' },
    {
      tag: 0x0002,
      rational: [
        [22, 1],
        [57, 1],
        [691, 100],
      ],
    },
    { tag: 0x0003, ascii: 'W' },
    {
      tag: 0x0004,
      rational: [
        [43, 1],
        [12, 1],
        [378, 10],
      ],
    },
    { tag: 0x0005, byte: [0] },
    { tag: 0x0006, rational: [[700, 1]] },
  ],
};

describe('EXIF', () => {
  before(async () => {
    await loadCodecs();
  });

  it('normalises camera EXIF to readable units: ISO 8601 with offset, seconds, decimal degrees', async () => {
    const jpeg = withExif(await jpegOf(photoLike(40, 30)), CAMERA);
    const { exif, orientation } = await readExif(jpeg, 'jpeg', true);
    expect(orientation).to.equal(3);
    expect(exif).to.deep.include({
      make: 'Contoso',
      model: 'Model X',
      lens: 'RF 50mm F1.8',
      takenAt: '2024-05-06T07:08:09.42-03:00',
      exposureTime: 0.004,
      fNumber: 2.8,
      iso: 400,
      focalLength: 50,
    });
    expect(exif!.gps!.latitude).to.be.closeTo(-(22 + 57 / 60 + 6.91 / 3600), 1e-6);
    expect(exif!.gps!.longitude).to.be.closeTo(-(43 + 12 / 60 + 37.8 / 3600), 1e-6);
    expect(exif!.gps!.altitude).to.equal(700);
  });

  it('drops GPS when includeGps is false, in the record too', async () => {
    const jpeg = withExif(await jpegOf(photoLike(40, 30)), CAMERA);
    const { exif } = await readExif(jpeg, 'jpeg', false);
    expect(exif).to.not.have.property('gps');
    expect(exif).to.include({ make: 'Contoso' });
    const result = await processImage(jpeg, { name: 'a.jpg', includeGps: false });
    expect(result.metadata.exif).to.not.have.property('gps');
    expect(JSON.stringify(result.metadata)).to.not.match(/latitude/);
  });

  it('never copies EXIF (or GPS) into the outputs', async () => {
    const jpeg = withExif(await jpegOf(photoLike(40, 30)), CAMERA);
    const result = await processImage(jpeg, { name: 'a.jpg' });
    for (const output of [renditionIn(result, 'output'), renditionIn(result, 'thumbnails')]) {
      const text = Buffer.from(output.bytes).toString('latin1');
      expect(text).to.not.include('Exif');
      expect(text).to.not.include('Contoso');
    }
  });

  it('reads a file without EXIF as null with orientation 1', async () => {
    expect(await readExif(await jpegOf(photoLike(8, 8)), 'jpeg', true)).to.deep.equal({
      exif: null,
      orientation: 1,
    });
  });

  it('treats a damaged EXIF block as absent instead of failing the image', async () => {
    const broken = withExif(await jpegOf(photoLike(16, 16)), CAMERA);
    // Point IFD0 far outside the segment (TIFF header at 12, IFD0 offset at 16).
    broken.fill(0xff, 16, 20);
    const { exif, orientation } = await readExif(broken, 'jpeg', true);
    expect(orientation).to.equal(1);
    expect(exif).to.equal(null);
    const result = await processImage(broken, { name: 'b.jpg' });
    expect(result.metadata.exif).to.equal(null);
  });

  it('uses local time without an offset when the file records none, and skips zeroed dates', () => {
    expect(normaliseExif({ DateTimeOriginal: '2020:01:02 03:04:05' }, true)).to.deep.equal({
      takenAt: '2020-01-02T03:04:05',
    });
    expect(normaliseExif({ DateTimeOriginal: '0000:00:00 00:00:00' }, true)).to.equal(null);
  });

  it('reads EXIF and orientation from a PNG eXIf chunk too', async () => {
    const png = await pngOf(quadrants(40, 20));
    const exif = pngChunk(
      'eXIf',
      tiffExif({
        ifd0: [
          { tag: 0x0112, short: [6] },
          { tag: 0x010f, ascii: 'Contoso' },
        ],
      }),
    );
    const withChunk = Uint8Array.from([...png.subarray(0, 33), ...exif, ...png.subarray(33)]);
    const result = await processImage(withChunk, { name: 'rotated.png' });
    expect(result.metadata.image.orientation).to.equal(6);
    expect(result.metadata.exif).to.deep.equal({ make: 'Contoso' });
    expect(renditionIn(result, 'output')).to.include({ width: 20, height: 40 });
  });
});
