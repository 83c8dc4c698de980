/**
 * Small v2 ICC profiles built in the test, for the kinds no free profile we could keep covers:
 * a grey profile with a linear tone curve, and RGB profiles whose A2B0 is a lut16 (mft2, v2) or
 * a lutAtoB (mAB, v4) table.
 */
const be16 = (v: number) => [(v >>> 8) & 255, v & 255];
const be32 = (v: number) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
const s15 = (v: number) => be32(Math.round(v * 65536) >>> 0);
const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));
const D50 = [0.9642, 1, 0.8249];

/** A profile of `space` ('GRAY', 'RGB ') with PCS XYZ and the given tags (desc and wtpt added). */
function profile(
  space: string,
  description: string,
  tags: [string, number[]][],
  version = 0x02,
): Uint8Array {
  const desc = [
    ...ascii('desc'),
    0,
    0,
    0,
    0,
    ...be32(description.length + 1),
    ...ascii(description),
  ];
  desc.push(0, ...new Array(79).fill(0));
  const all: [string, number[]][] = [
    ['desc', desc],
    ['wtpt', [...ascii('XYZ '), 0, 0, 0, 0, ...D50.flatMap(s15)]],
    ...tags,
  ];
  const table: number[] = [];
  const data: number[] = [];
  const start = 128 + 4 + all.length * 12;
  for (const [signature, body] of all) {
    while (body.length % 4) body.push(0);
    table.push(...ascii(signature), ...be32(start + data.length), ...be32(body.length));
    data.push(...body);
  }
  const header = new Array(128).fill(0);
  header.splice(0, 4, ...be32(start + data.length));
  header.splice(8, 4, version, 0x10, 0, 0);
  header.splice(12, 12, ...ascii('mntr'), ...ascii(space), ...ascii('XYZ '));
  header.splice(36, 4, ...ascii('acsp'));
  header.splice(68, 12, ...D50.flatMap(s15));
  return Uint8Array.from([...header, ...be32(all.length), ...table, ...data]);
}

/** A grey profile whose tone curve is linear (gamma 1.0): grey 128 is half the light of white. */
export function linearGreyProfile(): Uint8Array {
  return profile('GRAY', 'Linear grey (test)', [
    ['kTRC', [...ascii('curv'), 0, 0, 0, 0, 0, 0, 0, 0]],
  ]);
}

/** sRGB-encoded RGB (0-1) to D50 XYZ, the ICC connection space. */
function srgbToXyzD50(rgb: number[]): number[] {
  const [r, g, b] = rgb.map((v) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)) as [
    number,
    number,
    number,
  ];
  return [
    0.4360747 * r + 0.3850649 * g + 0.1430804 * b,
    0.2225045 * r + 0.7168786 * g + 0.0606169 * b,
    0.0139322 * r + 0.0971045 * g + 0.7141733 * b,
  ];
}

/**
 * A LUT-based RGB profile (A2B0 as mft2, a 9-point CLUT) that describes sRGB with red and blue
 * swapped: a pixel stored as pure red means sRGB blue. No matrix/TRC tags, so only a LUT reader
 * can apply it.
 */
export function swappedRedBlueLutProfile(): Uint8Array {
  const grid = 9;
  const clut: number[] = [];
  for (let r = 0; r < grid; r++) {
    for (let g = 0; g < grid; g++) {
      for (let b = 0; b < grid; b++) {
        const xyz = srgbToXyzD50([b / (grid - 1), g / (grid - 1), r / (grid - 1)]);
        // lut16's XYZ encoding: 0..65535 for 0..(1 + 32767/32768).
        clut.push(...xyz.flatMap((v) => be16(Math.min(65535, Math.round(v * 32768)))));
      }
    }
  }
  const identity = [1, 0, 0, 0, 1, 0, 0, 0, 1].flatMap(s15);
  const linear = [0, 0, 255, 255]; // a 2-entry table: 0, 65535
  const mft2 = [
    ...ascii('mft2'),
    0,
    0,
    0,
    0,
    3,
    3,
    grid,
    0,
    ...identity,
    ...be16(2),
    ...be16(2),
    ...linear,
    ...linear,
    ...linear,
    ...clut,
    ...linear,
    ...linear,
    ...linear,
  ];
  return profile('RGB ', 'Swapped red and blue LUT (test)', [['A2B0', mft2]]);
}

/**
 * A v4 LUT-based RGB profile (A2B0 as mAB: M curves, matrix, B curves; no CLUT) that also
 * describes sRGB with red and blue swapped: the M curves decode sRGB's tone curve, the matrix
 * takes stored red to sRGB blue's XYZ.
 */
export function swappedRedBlueMabProfile(): Uint8Array {
  const para = (g: number[]) => [...ascii('para'), 0, 0, 0, 0, 0, 3, 0, 0, ...g.flatMap(s15)];
  const srgbCurve = para([2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045]);
  const identity = para([1, 1, 0, 0, 0]);
  // Rows X, Y, Z; columns the stored channels: stored R gets sRGB blue's column, B red's. XYZ
  // in mAB is scaled by 32768/65535 (1.0 encodes 1 + 32767/32768), as lut16 encodes it.
  const scale = 32768 / 65535;
  const matrix = [
    [0.1430804, 0.3850649, 0.4360747],
    [0.0606169, 0.7168786, 0.2225045],
    [0.7141733, 0.0971045, 0.0139322],
  ];
  const header = 32;
  const b = [...identity, ...identity, ...identity];
  const m = [...srgbCurve, ...srgbCurve, ...srgbCurve];
  const matrixBytes = [...matrix.flat().map((v) => v * scale), 0, 0, 0].flatMap(s15);
  const offsetB = header;
  const offsetMatrix = offsetB + b.length;
  const offsetM = offsetMatrix + matrixBytes.length;
  const mab = [
    ...ascii('mAB '),
    0,
    0,
    0,
    0,
    3,
    3,
    0,
    0,
    ...be32(offsetB),
    ...be32(offsetMatrix),
    ...be32(offsetM),
    ...be32(0),
    ...be32(0),
    ...b,
    ...matrixBytes,
    ...m,
  ];
  return profile('RGB ', 'Swapped red and blue mAB (test)', [['A2B0', mab]], 0x04);
}
