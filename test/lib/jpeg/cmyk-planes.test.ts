/**
 * lib/jpeg's four-plane decode for CMYK and YCCK JPEGs (lib/cmyk.ts converts them through the
 * profile): the samples as stored, at the requested scale, with what the Adobe marker says.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { decodeScaledCmykPlanes } from '../../../lib/jpeg/decoder.js';
import { decodeScaledJpegPlanes } from '../../../lib/jpeg/index.js';
import { getFixture } from '../../fixtures.js';
import { jpegOf, photoLike } from '../images.js';

const fixture = (name: string) => new Uint8Array(readFileSync(getFixture(name).path));

describe('lib/jpeg decodeScaledCmykPlanes', () => {
  it('gives the four planes of a CMYK JPEG exactly as libjpeg decodes them, inverted by Adobe', async () => {
    const cmyk = await sharp(Buffer.from(photoLike(64, 48).data), {
      raw: { width: 64, height: 48, channels: 4 },
    })
      .removeAlpha()
      .toColourspace('cmyk')
      .jpeg({ quality: 90 })
      .toBuffer();
    const decoded = decodeScaledCmykPlanes(cmyk, { scale: 8 });
    if (!decoded.ok) throw new Error(decoded.detail);
    const { planes, adobe, ycck, width, height } = decoded.image;
    expect([width, height, planes.length, adobe, ycck]).to.deep.equal([64, 48, 4, true, false]);
    // libvips (through sharp) undoes Adobe's inversion as it reads: its ink is 255 - our sample.
    const ink = await sharp(cmyk)
      .pipelineColourspace('cmyk')
      .toColourspace('cmyk')
      .raw()
      .toBuffer();
    let differing = 0;
    for (let i = 0; i < 64 * 48; i++) {
      const x = i % 64;
      const y = Math.floor(i / 64);
      for (let c = 0; c < 4; c++) {
        const plane = planes[c]!;
        if (255 - plane.samples[y * plane.stride + x]! !== ink[i * 4 + c]) differing++;
      }
    }
    expect(differing).to.equal(0);
  });

  it('says YCCK for Adobe transform 2 and shrinks on load like any baseline JPEG', () => {
    const decoded = decodeScaledCmykPlanes(fixture('jpeg/ycck-adobe.jpg'), { scale: 4 });
    if (!decoded.ok) throw new Error(decoded.detail);
    const { image } = decoded;
    expect(image).to.include({ ycck: true, adobe: true, scale: 4 });
    expect(image.width).to.equal(Math.ceil((image.sourceWidth * 4) / 8));
  });

  it('declines three-component JPEGs, and the RGB planar decode still declines CMYK', async () => {
    const rgb = await jpegOf(photoLike(32, 32));
    expect(decodeScaledCmykPlanes(rgb, { scale: 8 })).to.include({
      ok: false,
      reason: 'color-space',
    });
    const cmyk = fixture('jpeg/cmyk-adobe.jpg');
    expect(decodeScaledJpegPlanes(cmyk, { scale: 8 })).to.include({
      ok: false,
      reason: 'color-space',
    });
  });
});
