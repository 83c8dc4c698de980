import { expect } from 'chai';
import sharp from 'sharp';
import { deflateSync } from 'node:zlib';
import { processImage } from '../../lib/index.js';
import { extractIccProfile } from '../../lib/icc.js';
import {
  checkPngCriticalCrcs,
  hasDamagedPngChunk,
  pngChunkCrcMatches,
  pngChunks,
} from '../../lib/png-chunks.js';
import { failure } from '../helpers/image-error.js';
import { pngChunk, pngOf, quadrants, tiffExif } from './images.js';

/** The PNG with `extra` chunks inserted right after IHDR (byte 33). */
function withChunks(png: Uint8Array, ...extra: Uint8Array[]): Uint8Array {
  return Uint8Array.from([
    ...png.subarray(0, 33),
    ...extra.flatMap((c) => [...c]),
    ...png.subarray(33),
  ]);
}

/** A copy with the last CRC byte of the first chunk of `type` flipped. */
function breakCrc(png: Uint8Array, type: string): Uint8Array {
  const chunk = [...pngChunks(png)].find((c) => c.type === type);
  if (!chunk) throw new Error(`no ${type} chunk`);
  const broken = Uint8Array.from(png);
  broken[chunk.offset + 8 + chunk.length + 3]! ^= 0xff;
  return broken;
}

const text = (keyword: string, value: string) =>
  pngChunk(
    'tEXt',
    Uint8Array.from(`${keyword}\0${value}`, (c) => c.charCodeAt(0)),
  );

describe('PNG chunk CRCs (libpng strictness)', () => {
  it('tells a chunk whose CRC matches from one whose CRC was damaged', async () => {
    const png = await pngOf(quadrants(8, 8));
    const ihdr = [...pngChunks(png)][0]!;
    expect(pngChunkCrcMatches(png, ihdr)).to.equal(true);
    const broken = breakCrc(png, 'IHDR');
    expect(pngChunkCrcMatches(broken, [...pngChunks(broken)][0]!)).to.equal(false);
  });

  it('refuses a PNG whose IHDR fails its CRC with CORRUPT_IMAGE, naming the chunk', async () => {
    const png = breakCrc(await pngOf(quadrants(40, 20)), 'IHDR');
    const error = await failure(processImage(png, { name: 'bad-header.png' }));
    expect(error.code).to.equal('CORRUPT_IMAGE');
    expect(error.permanent).to.equal(true);
    expect(error.message).to.match(/IHDR chunk .*CRC/);
  });

  it('refuses damaged IDAT and IEND chunks too', async () => {
    const png = await pngOf(quadrants(40, 20));
    for (const type of ['IDAT', 'IEND']) {
      expect(() => checkPngCriticalCrcs(breakCrc(png, type), 'x.png'))
        .to.throw(new RegExp(`${type} chunk`))
        .with.property('code', 'CORRUPT_IMAGE');
    }
    expect(() => checkPngCriticalCrcs(png, 'x.png')).not.to.throw();
  });

  it('processes a PNG whose tEXt chunk fails its CRC, as libpng skips it', async () => {
    const png = breakCrc(withChunks(await pngOf(quadrants(40, 20)), text('Comment', 'hi')), 'tEXt');
    const result = await processImage(png, { name: 'bad-text.png' });
    expect(result.metadata.image).to.include({ width: 40, height: 20 });
  });

  it('does not trust an eXIf chunk that fails its CRC: no EXIF, no rotation', async () => {
    const exif = pngChunk(
      'eXIf',
      tiffExif({
        ifd0: [
          { tag: 0x0112, short: [6] },
          { tag: 0x010f, ascii: 'Contoso' },
        ],
      }),
    );
    const png = breakCrc(withChunks(await pngOf(quadrants(40, 20)), exif), 'eXIf');
    expect(hasDamagedPngChunk(png, 'eXIf')).to.equal(true);
    const result = await processImage(png, { name: 'bad-exif.png' });
    expect(result.metadata.exif).to.equal(null);
    expect(result.metadata.image.orientation).to.equal(1);
  });

  it('does not trust an iCCP chunk that fails its CRC: the profile is ignored', async () => {
    const p3 = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#c84' } })
      .withIccProfile('p3')
      .jpeg()
      .toBuffer();
    const profile = extractIccProfile(p3, 'jpeg')!;
    const iccp = pngChunk('iCCP', Uint8Array.from([0x70, 0x33, 0, 0, ...deflateSync(profile)]));
    const sound = withChunks(await pngOf(quadrants(8, 8)), iccp);
    expect(extractIccProfile(sound, 'png')).to.deep.equal(profile);
    const trusted = await processImage(sound, { name: 'profile.png' });
    expect(trusted.metadata.image.iccProfile).to.be.a('string');
    const damaged = breakCrc(sound, 'iCCP');
    expect(extractIccProfile(damaged, 'png')).to.equal(undefined);
    const result = await processImage(damaged, { name: 'bad-profile.png' });
    expect(result.metadata.image.iccProfile).to.equal(undefined);
  });
});
