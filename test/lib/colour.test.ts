import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { srgbTransformOf } from '../../lib/colour-engine.js';
import { extractIccProfile } from '../../lib/icc.js';
import { loadCodecs, processImage } from '../../lib/index.js';
import type { RenditionSpec } from '../../lib/renditions.js';
import type { Bitmap } from '../../lib/types.js';
import { renderInput } from '../../bench/inputs.js';
import { FIXTURES_DIR } from '../fixtures.js';
import {
  linearGreyProfile,
  swappedRedBlueLutProfile,
  swappedRedBlueMabProfile,
} from '../helpers/icc-builder.js';
import { decodeOutput, near, pixel, RED, renditionIn, withIccProfile } from './images.js';

const PROFILES = path.resolve(FIXTURES_DIR, '..', 'icc');
const profileFile = (name: string) => path.join(PROFILES, name);

/** One lossless rendition larger than the image: the pixels as converted, without a resize. */
const AS_IS: RenditionSpec[] = [
  { container: 'output', width: 4096, height: 4096, fit: 'inside', format: 'png', quality: 90 },
];

/**
 * A photo (the benchmark's generator: gradients, texture, shapes, text, noise) as a CMYK JPEG in
 * Adobe's inverted CMYK, with `profile` embedded, as sharp writes it.
 */
async function cmykJpeg(profile: string, width = 240, height = 180): Promise<Buffer> {
  const photo = await renderInput({ name: 'photo', format: 'jpeg', width, height, alpha: false });
  return sharp(photo)
    .toColourspace('cmyk')
    .withIccProfile(profile)
    .jpeg({ quality: 95 })
    .toBuffer();
}

/** Our output pixels, as RGBA. */
async function ours(bytes: Uint8Array, renditions = AS_IS) {
  const result = await processImage(bytes, { name: 'print.jpg', renditions });
  const output = renditionIn(result, 'output');
  return { result, image: await decodeOutput(output.bytes, output.format) };
}

/** Mean and largest RGB distance (0-441) between our pixels and sharp's of the same file. */
async function distanceFromSharp(bytes: Uint8Array, image: Bitmap) {
  const reference = await sharp(bytes)
    .resize(image.width, image.height, { fit: 'fill' })
    .removeAlpha()
    .raw()
    .toBuffer();
  let sum = 0;
  let max = 0;
  const count = image.width * image.height;
  for (let i = 0; i < count; i++) {
    const d = Math.hypot(
      image.data[i * 4]! - reference[i * 3]!,
      image.data[i * 4 + 1]! - reference[i * 3 + 1]!,
      image.data[i * 4 + 2]! - reference[i * 3 + 2]!,
    );
    sum += d;
    max = Math.max(max, d);
  }
  return { mean: sum / count, max };
}

describe('colour management through embedded profiles', function () {
  this.timeout(60_000);
  before(async () => {
    await loadCodecs();
  });

  for (const [name, description] of [
    ['fogra39l-coated.icc', 'FOGRA39L coated'],
    ['fogra29l-uncoated.icc', 'FOGRA29L uncoated'],
  ] as const) {
    it(`converts a CMYK JPEG through its ${description} profile as sharp does (mean distance under 3)`, async () => {
      const bytes = await cmykJpeg(profileFile(name));
      const { result, image } = await ours(bytes);
      expect(result.metadata.image).to.include({ colorSpace: 'cmyk', iccApplied: true });
      expect(result.metadata.image.iccProfile).to.contain(description);
      const { mean } = await distanceFromSharp(bytes, image);
      expect(mean).to.be.below(3);
    });
  }

  it('converts as sharp does when the CMYK JPEG shrinks on load and is resized', async () => {
    const bytes = await cmykJpeg(profileFile('fogra39l-coated.icc'), 960, 720);
    const small: RenditionSpec[] = [{ ...AS_IS[0]!, width: 240, height: 180 }];
    const { result, image } = await ours(bytes, small);
    expect(result.metadata.image.iccApplied).to.equal(true);
    // The reference: sharp's full-size conversion, resized by us the same way (as a lossless
    // PNG), so the two differ only in colour, not in how each library resamples.
    const converted = await sharp(bytes).png().toBuffer();
    const reference = await ours(converted, small);
    let sum = 0;
    for (let i = 0; i < image.data.length; i += 4) {
      const [r, g, b] = [0, 1, 2].map((c) => image.data[i + c]! - reference.image.data[i + c]!);
      sum += Math.hypot(r!, g!, b!);
    }
    expect(sum / (image.width * image.height)).to.be.below(3);
  });

  it("converts through sharp's own CMYK profile (Chemical proof) close to sharp too", async () => {
    const bytes = await cmykJpeg('cmyk');
    const { result, image } = await ours(bytes);
    expect(result.metadata.image).to.include({ iccProfile: 'Chemical proof', iccApplied: true });
    // LittleCMS's black-point handling for this v2 perceptual table differs a little from
    // libvips's two-step conversion through Lab in the darkest tones (about 3.5 on average).
    expect((await distanceFromSharp(bytes, image)).mean).to.be.below(5);
  });

  it('converts a YCCK JPEG (Adobe transform 2) through its profile', async () => {
    const ycck = new Uint8Array(readFileSync(path.join(FIXTURES_DIR, 'jpeg/ycck-adobe.jpg')));
    const bytes = withIccProfile(ycck, readFileSync(profileFile('fogra39l-coated.icc')));
    const { result, image } = await ours(bytes);
    expect(result.metadata.image).to.include({ colorSpace: 'ycck', iccApplied: true });
    expect((await distanceFromSharp(bytes, image)).mean).to.be.below(3);
  });

  it('falls back to the plain conversion, and says so, when the CMYK profile cannot be parsed', async () => {
    const sound = await cmykJpeg(profileFile('fogra39l-coated.icc'));
    const profile = extractIccProfile(sound, 'jpeg')!;
    const broken = Uint8Array.from(profile);
    broken.fill(0xee, 132, broken.length); // header kept, tag table and tags destroyed
    const plain = new Uint8Array(readFileSync(path.join(FIXTURES_DIR, 'jpeg/cmyk-adobe.jpg')));
    const { result, image } = await ours(withIccProfile(plain, broken));
    expect(result.metadata.image.iccApplied).to.equal(false);
    expect(result.metadata.image.iccWarning).to.match(/could not be parsed/);
    // Today's conversion: the quadrants keep their plain colours.
    expect(near(pixel(image, 2, 2), RED)).to.equal(true);
  });

  it('says why a progressive CMYK JPEG is converted without its profile', async () => {
    const photo = await renderInput({
      name: 'p',
      format: 'jpeg',
      width: 64,
      height: 48,
      alpha: false,
    });
    const progressive = await sharp(photo)
      .toColourspace('cmyk')
      .withIccProfile(profileFile('fogra39l-coated.icc'))
      .jpeg({ progressive: true })
      .toBuffer();
    const { result } = await ours(progressive);
    expect(result.metadata.image).to.include({ colorSpace: 'cmyk', iccApplied: false });
    expect(result.metadata.image.iccWarning).to.match(/progressive CMYK JPEG/);
  });

  it('does not apply a CMYK profile to RGB pixels, and says so', async () => {
    const rgb = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#c84' } })
      .jpeg()
      .toBuffer();
    const cmykProfile = readFileSync(profileFile('fogra29l-uncoated.icc'));
    const { result } = await ours(withIccProfile(rgb, cmykProfile));
    expect(result.metadata.image.iccApplied).to.equal(false);
    expect(result.metadata.image.iccWarning).to.match(/describes CMYK data/);
  });

  for (const [kind, make] of [
    ['lut16 (mft2, v2)', swappedRedBlueLutProfile],
    ['lutAtoB (mAB, v4)', swappedRedBlueMabProfile],
  ] as const) {
    it(`converts RGB through a LUT-based ${kind} profile`, async () => {
      const red = Buffer.alloc(8 * 8 * 3);
      for (let i = 0; i < red.length; i += 3) red[i] = 255; // stored red
      const jpeg = await sharp(red, { raw: { width: 8, height: 8, channels: 3 } })
        .jpeg({ quality: 100 })
        .toBuffer();
      const { result, image } = await ours(withIccProfile(jpeg, make()));
      expect(result.metadata.image).to.include({ iccApplied: true, colorSpace: 'rgb' });
      const [r, g, b] = pixel(image, 4, 4);
      expect(b).to.be.above(230); // the profile says stored red is blue
      expect(r).to.be.below(25);
      expect(g).to.be.below(25);
    });
  }

  it('converts grey pixels through a grey profile (a linear tone curve lifts mid-grey)', async () => {
    const grey = await sharp(Buffer.alloc(64, 128), { raw: { width: 8, height: 8, channels: 1 } })
      .toColourspace('b-w')
      .jpeg({ quality: 100 })
      .toBuffer();
    const { result, image } = await ours(withIccProfile(grey, linearGreyProfile()));
    expect(result.metadata.image).to.include({ colorSpace: 'gray', iccApplied: true });
    const [r, g, b] = pixel(image, 4, 4);
    expect([r, g, b].every((v) => Math.abs(v - 188) <= 2)).to.equal(true);
  });

  it('builds each profile transform once per process: the same profile comes from the cache', async () => {
    const profile = new Uint8Array(readFileSync(profileFile('fogra29l-uncoated.icc')));
    const first = await srgbTransformOf(profile, 'CMYK');
    expect(first).to.not.equal(undefined);
    expect(await srgbTransformOf(Uint8Array.from(profile), 'CMYK')).to.equal(first);
  });
});
