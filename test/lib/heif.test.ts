import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { ImageError, loadCodecs, processImage } from '../../lib/index.js';
import { guardInput } from '../../lib/guard.js';
import { HeifContainerError, readHeifContainer } from '../../lib/heif.js';
import { colourName, getFixture } from '../fixtures.js';
import { decodeOutput, pixel, renditionIn } from './images.js';

const ascii = (text: string) => Array.from(text, (c) => c.charCodeAt(0));
const be16 = (v: number) => [(v >> 8) & 255, v & 255];
const be32 = (v: number) => [(v >>> 24) & 255, (v >> 16) & 255, (v >> 8) & 255, v & 255];
const box = (type: string, ...content: number[][]): number[] => {
  const body = content.flat();
  return [...be32(body.length + 8), ...ascii(type), ...body];
};
const fullBox = (type: string, ...content: number[][]) => box(type, [0, 0, 0, 0], ...content);

/**
 * A HEIF header with item 1 as the primary image: `ispe` of `width` x `height`, then the given
 * properties (each `[type, byte]`, e.g. irot or imir) associated with it in this order.
 */
function heifHeader(
  width: number,
  height: number,
  properties: [type: string, value: number | number[]][] = [],
): Uint8Array {
  const ispe = fullBox('ispe', be32(width), be32(height));
  const others = properties.map(([type, value]) => box(type, [value].flat()));
  const associations = [1, ...others.map((_, i) => 0x80 | (i + 2))];
  const ipma = fullBox('ipma', be32(1), be16(1), [associations.length, ...associations]);
  return Uint8Array.from([
    ...box('ftyp', ascii('heic'), be32(0), ascii('mif1heic')),
    ...fullBox('meta', fullBox('pitm', be16(1)), box('iprp', box('ipco', ispe, ...others), ipma)),
  ]);
}

const read = (name: string) => new Uint8Array(readFileSync(getFixture(name).path));

describe('readHeifContainer', () => {
  it('reads the primary item size, its irot as an EXIF orientation, and the EXIF item of the iPhone fixture', () => {
    const container = readHeifContainer(read('heif/iphone-irot-exif6.heic'));
    expect(container).to.include({ width: 120, height: 160, orientation: 6 });
    expect(String.fromCharCode(...container.exif!.subarray(0, 4))).to.equal('MM\0*');
  });

  it('turns irot and imir, in their order, into the EXIF orientation that means the same', () => {
    // Each property as its type and value: `irot1` is a quarter turn anti-clockwise, `imir0`
    // mirrors about the vertical axis (left and right swap), `imir1` about the horizontal one.
    const cases: [string, number][] = [
      ['', 1],
      ['irot1', 8],
      ['irot2', 3],
      ['irot3', 6], // three anti-clockwise: a quarter turn clockwise (the iPhone's portrait)
      ['imir0', 2],
      ['imir1', 4],
      ['irot1 imir0', 7], // turned, then mirrored: transverse
      ['irot3 imir0', 5],
      ['imir0 irot1', 5], // mirrored, then turned: the order counts
    ];
    for (const [list, orientation] of cases) {
      const properties = list
        .split(' ')
        .filter(Boolean)
        .map((word): [string, number] => [word.slice(0, 4), Number(word.slice(4))]);
      const header = heifHeader(64, 48, properties);
      expect(readHeifContainer(header).orientation, list).to.equal(orientation);
    }
  });

  it('takes the ICC profile of a colr box of type prof, and leaves an nclx one to libheif', () => {
    const profile = [1, 2, 3, 4, 5];
    const withIcc = heifHeader(64, 48, [['colr', [...ascii('prof'), ...profile]]]);
    expect([...readHeifContainer(withIcc).iccProfile!]).to.deep.equal(profile);
    const nclx = heifHeader(64, 48, [['colr', [...ascii('nclx'), 0, 1, 0, 13, 0, 6, 0x80]]]);
    expect(readHeifContainer(nclx).iccProfile).to.equal(undefined);
  });

  it('refuses a file without a primary item or its size, and one whose boxes run past the end', () => {
    const noSize = Uint8Array.from([
      ...box('ftyp', ascii('heic'), be32(0)),
      ...fullBox('meta', fullBox('pitm', be16(1))),
    ]);
    expect(() => readHeifContainer(noSize)).to.throw(HeifContainerError);
    const cut = heifHeader(64, 48).subarray(0, 40);
    expect(() => readHeifContainer(cut)).to.throw(HeifContainerError, /box size/);
  });
});

describe('HEIF through processImage', () => {
  before(async () => {
    await loadCodecs();
  });

  it('refuses a HEIF declaring too many pixels before decoding (TOO_MANY_PIXELS)', () => {
    const options = { name: 'big.heic', maxBytes: 1 << 20, maxPixels: 1_000_000 };
    expect(() => guardInput(heifHeader(40000, 30000), 'heif', options))
      .to.throw(ImageError)
      .with.property('code', 'TOO_MANY_PIXELS');
  });

  it('follows irot, not the EXIF tag: with the rotation removed, EXIF Orientation 6 turns nothing', async () => {
    const bytes = read('heif/iphone-irot-exif6.heic');
    const container = readHeifContainer(bytes);
    expect(container.orientation).to.equal(6);
    // The fixture's irot is the last property in ipco: zero its angle.
    const irot = bytes.findIndex(
      (_, i) => String.fromCharCode(...bytes.subarray(i, i + 4)) === 'irot',
    );
    const unturned = Uint8Array.from(bytes);
    unturned[irot + 4] = 0;
    const result = await processImage(unturned, { name: 'unturned.heic' });
    expect(result.metadata.image).to.include({ width: 120, height: 160, orientation: 1 });
    expect(result.metadata.exif?.make).to.equal('Apple');
    const output = renditionIn(result, 'output');
    const decoded = await decodeOutput(output.bytes, output.format);
    expect([decoded.width, decoded.height]).to.deep.equal([120, 160]);
    // Stored a quarter turn anti-clockwise: green top-left, red bottom-left.
    expect(colourName(pixel(decoded, 10, 10))).to.equal('green');
    expect(colourName(pixel(decoded, 10, 150))).to.equal('red');
  });

  it('writes HEIF as JPEG, or PNG when it has transparency (auto), under its own name', async () => {
    const photo = await processImage(read('heif/iphone-irot-exif6.heic'), { name: 'a/IMG_1.HEIC' });
    expect(renditionIn(photo, 'output')).to.include({ format: 'jpeg', name: 'a/IMG_1.HEIC' });
    expect(photo.metadata.source.format).to.equal('heif');
    const alpha = await processImage(read('heif/plain-alpha.heif'), { name: 'b.heif' });
    expect(renditionIn(alpha, 'output').format).to.equal('png');
  });

  it('fails a HEIF whose image data lies outside the file with CORRUPT_IMAGE from libheif', async () => {
    const bytes = Uint8Array.from(read('heif/plain-alpha.heif'));
    // Declare the last box (mdat) to run to the end of the file, then cut the file short.
    const mdat = bytes.findLastIndex(
      (_, i) => String.fromCharCode(...bytes.subarray(i, i + 4)) === 'mdat',
    );
    bytes.set([0, 0, 0, 0], mdat - 4);
    const cut = bytes.subarray(0, mdat + 40);
    const error = await processImage(cut, { name: 'cut.heif' }).catch((caught: unknown) => caught);
    expect(error).to.be.instanceOf(ImageError).with.property('code', 'CORRUPT_IMAGE');
    expect((error as Error).message).to.match(/libheif/);
  });
});
