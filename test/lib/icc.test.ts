import { expect } from 'chai';
import { extractIccProfile, parseIccProfile } from '../../lib/icc.js';
import { loadCodecs, processImage } from '../../lib/index.js';
import { bitmap, decodeOutput, jpegOf, pixel, withIccProfile, renditionIn } from './images.js';

const be32 = (v: number) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
const s15 = (v: number) => be32(Math.round(v * 65536) >>> 0);
const text = (s: string) => Array.from(s, (c) => c.charCodeAt(0));

/** A v2 RGB matrix/TRC ICC profile: primaries (D50-adapted XYZ) and one parametric curve. */
function matrixProfile(description: string, primaries: number[][], curve: number[]): Uint8Array {
  const desc = [
    ...text('desc'),
    0,
    0,
    0,
    0,
    ...be32(description.length + 1),
    ...text(description),
    0,
    ...new Array(79).fill(0),
  ];
  const xyz = primaries.map((p) => [...text('XYZ '), 0, 0, 0, 0, ...p.flatMap(s15)]);
  const para = [...text('para'), 0, 0, 0, 0, 0, 3, 0, 0, ...curve.flatMap(s15)];
  const tags: [string, number[]][] = [
    ['desc', desc],
    ['rXYZ', xyz[0]!],
    ['gXYZ', xyz[1]!],
    ['bXYZ', xyz[2]!],
    ['rTRC', para],
  ];
  const table: number[] = [];
  const data: number[] = [];
  const offset = 128 + 4 + (tags.length + 2) * 12;
  const offsets = new Map<string, [number, number]>();
  for (const [signature, body] of tags) {
    while (body.length % 4) body.push(0);
    offsets.set(signature, [offset + data.length, body.length]);
    data.push(...body);
  }
  const all: [string, [number, number]][] = [...offsets.entries()];
  all.push(['gTRC', offsets.get('rTRC')!], ['bTRC', offsets.get('rTRC')!]);
  for (const [signature, [at, size]] of all)
    table.push(...text(signature), ...be32(at), ...be32(size));
  const header = new Array(128).fill(0);
  const size = 128 + 4 + table.length + data.length;
  header.splice(0, 4, ...be32(size));
  header.splice(12, 12, ...text('mntrRGB XYZ '));
  header.splice(36, 4, ...text('acsp'));
  return Uint8Array.from([...header, ...be32(all.length), ...table, ...data]);
}

/** Apple's Display P3: P3 primaries adapted to D50, the sRGB transfer curve. */
const DISPLAY_P3 = matrixProfile(
  'Display P3',
  [
    [0.515121, 0.241196, -0.001053],
    [0.291977, 0.692245, 0.041885],
    [0.157104, 0.066574, 0.784073],
  ],
  [2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045],
);

/** Independent reference: CSS Color 4's display-p3 -> sRGB (D65 matrices, no adaptation). */
function cssP3ToSrgb(rgb: number[]): number[] {
  const decode = (v: number) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
  const encode = (v: number) => {
    const x = Math.min(1, Math.max(0, v));
    return x <= 0.0031308 ? 12.92 * x : 1.055 * x ** (1 / 2.4) - 0.055;
  };
  const [r, g, b] = rgb.map((v) => decode(v / 255)) as [number, number, number];
  const X = 0.4865709486482162 * r + 0.26566769316909306 * g + 0.1982172852343625 * b;
  const Y = 0.2289745640697488 * r + 0.6917385218365064 * g + 0.079286914093745 * b;
  const Z = 0.04511338185890264 * g + 1.043944368900976 * b;
  return [
    3.2409699419045226 * X - 1.537383177570094 * Y - 0.4986107602930034 * Z,
    -0.9692436362808796 * X + 1.8759675015077202 * Y + 0.04155505740717559 * Z,
    0.05563007969699366 * X - 0.20397695888897652 * Y + 1.0569715142428786 * Z,
  ].map((v) => Math.round(encode(v) * 255));
}

describe('ICC colour management', () => {
  it('names a profile and builds a transform for an RGB matrix/TRC profile', () => {
    const profile = parseIccProfile(DISPLAY_P3);
    expect(profile).to.include({ description: 'Display P3', colorSpace: 'RGB', isSrgb: false });
    expect(profile!.transform).to.be.a('function');
  });

  it('converts Display P3 pixels to sRGB like the CSS Color 4 reference', () => {
    const colours = [
      [200, 120, 60],
      [30, 160, 220],
      [128, 128, 128],
      [250, 30, 40],
    ];
    const source = bitmap(
      colours.length,
      1,
      (x) => [...colours[x]!, 255] as [number, number, number, number],
    );
    const converted = parseIccProfile(DISPLAY_P3)!.transform!(source);
    colours.forEach((colour, x) => {
      const expected = cssP3ToSrgb(colour);
      pixel(converted, x, 0)
        .slice(0, 3)
        .forEach((value, channel) =>
          expect(value, `${colour} channel ${channel}`).to.be.closeTo(expected[channel]!, 2),
        );
    });
  });

  it('leaves an sRGB profile alone', () => {
    const srgb = matrixProfile(
      'sRGB IEC61966-2.1',
      [
        [0.4361, 0.2225, 0.0139],
        [0.3851, 0.7169, 0.0971],
        [0.1431, 0.0606, 0.7141],
      ],
      [2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045],
    );
    const profile = parseIccProfile(srgb);
    expect(profile).to.include({ isSrgb: true });
    expect(profile!.transform).to.equal(undefined);
  });

  it('ignores data that is not a profile', () => {
    expect(parseIccProfile(new Uint8Array(200))).to.equal(undefined);
  });

  it('finds the profile in a JPEG APP2 segment and applies it to the outputs', async () => {
    await loadCodecs();
    const jpeg = withIccProfile(
      await jpegOf(
        bitmap(64, 64, () => [200, 120, 60, 255]),
        100,
      ),
      DISPLAY_P3,
    );
    expect(extractIccProfile(jpeg, 'jpeg')).to.deep.equal(DISPLAY_P3);
    const result = await processImage(jpeg, { name: 'p3.jpg' });
    expect(result.metadata.image).to.include({
      iccProfile: 'Display P3',
      iccApplied: true,
      colorSpace: 'rgb',
    });
    const output = await decodeOutput(renditionIn(result, 'output').bytes, 'jpeg');
    const expected = cssP3ToSrgb([200, 120, 60]);
    pixel(output, 32, 32)
      .slice(0, 3)
      .forEach((value, channel) => expect(value).to.be.closeTo(expected[channel]!, 4));
  });
});

describe('ICC profile extraction limits', () => {
  it('ignores a PNG iCCP chunk that would inflate past 16 MB (a zlib bomb)', async () => {
    const { deflateSync } = await import('node:zlib');
    const { PNG_SIGNATURE, pngChunk, pngOf, quadrants } = await import('./images.js');
    const png = await pngOf(quadrants(8, 8));
    const bomb = deflateSync(new Uint8Array(20 * 1024 * 1024));
    expect(bomb.length).to.be.lessThan(100_000);
    const iccp = pngChunk(
      'iCCP',
      Uint8Array.from([...Array.from('bomb', (c) => c.charCodeAt(0)), 0, 0, ...bomb]),
    );
    const file = Uint8Array.from([
      ...PNG_SIGNATURE,
      ...png.subarray(8, 33),
      ...iccp,
      ...png.subarray(33),
    ]);
    expect(extractIccProfile(file, 'png')).to.equal(undefined);
    const small = pngChunk(
      'iCCP',
      Uint8Array.from([
        ...Array.from('p3', (c) => c.charCodeAt(0)),
        0,
        0,
        ...deflateSync(DISPLAY_P3),
      ]),
    );
    const withProfile = Uint8Array.from([
      ...PNG_SIGNATURE,
      ...png.subarray(8, 33),
      ...small,
      ...png.subarray(33),
    ]);
    expect(extractIccProfile(withProfile, 'png')).to.deep.equal(DISPLAY_P3);
  });
});
