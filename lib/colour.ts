/**
 * What the colour stage does with an embedded profile, for every kind of pixels: RGB
 * matrix/TRC profiles through our own reader (icc.ts, no WASM to load); LUT-based RGB profiles
 * (mft1, mft2, mAB) and grey profiles through LittleCMS (colour-engine.ts); CMYK ones were
 * applied by the decoder already (cmyk.ts). A profile that cannot be applied leaves the pixels as
 * they are and says why (`warning`, the metadata's `iccWarning`).
 */
import { srgbTransformOf, type SrgbTransform } from './colour-engine.js';
import type { IccProfile } from './icc.js';
import type { Bitmap, ImageInfo } from './types.js';

/** The colour stage's decision. */
export interface ColourDecision {
  /** The conversion to sRGB of the resized images, when one applies here. */
  transform: ((bitmap: Bitmap) => Bitmap) | undefined;
  /** Whether the profile was (or, by the decoder, has been) applied. */
  applied: boolean;
  /** Why a profile was not applied. */
  warning?: string;
}

/** What the decode said about the pixels. */
type DecodedInfo = Pick<ImageInfo, 'colorSpace' | 'iccApplied' | 'iccWarning'>;

/**
 * Decides how the resized images reach sRGB: `raw` is the embedded profile's bytes, `profile`
 * what icc.ts read of them (undefined when they are not an ICC profile).
 */
export async function decideColour(
  raw: Uint8Array | undefined,
  profile: IccProfile | undefined,
  info: DecodedInfo,
): Promise<ColourDecision> {
  const none: ColourDecision = { transform: undefined, applied: false };
  if (info.colorSpace === 'cmyk' || info.colorSpace === 'ycck') {
    const warning = info.iccWarning;
    return { ...none, applied: info.iccApplied === true, ...(warning ? { warning } : {}) };
  }
  if (!raw) return none;
  if (!profile) return { ...none, warning: 'the embedded profile could not be parsed' };
  const pixels = pixelSpace(info.colorSpace);
  if (pixels === undefined || profile.isSrgb) return none;
  if (profile.colorSpace !== pixels) {
    const warning = `the embedded profile describes ${profile.colorSpace} data, the pixels are ${pixels}`;
    return { ...none, warning };
  }
  if (profile.transform) return { transform: profile.transform, applied: true };
  const engine = await srgbTransformOf(raw, pixels);
  if (!engine) return { ...none, warning: `the embedded ${pixels} profile could not be parsed` };
  return { transform: (bitmap) => throughEngine(engine, bitmap), applied: true };
}

/** The profile colour space the decoded pixels are in, when a profile can describe them. */
function pixelSpace(colorSpace: ImageInfo['colorSpace']): 'RGB' | 'GRAY' | undefined {
  if (colorSpace === 'srgb' || colorSpace === 'palette' || colorSpace === 'rgb') return 'RGB';
  if (colorSpace === 'gray') return 'GRAY';
  return undefined;
}

/** An RGBA bitmap through the engine: RGB (or the grey in R) packed, converted, alpha kept. */
function throughEngine(engine: SrgbTransform, bitmap: Bitmap): Bitmap {
  const { data } = bitmap;
  const count = bitmap.width * bitmap.height;
  const channels = engine.input === 'GRAY' ? 1 : 3;
  const packed = new Uint8Array(count * channels);
  for (let i = 0, o = 0; i < count; i++, o += channels) {
    for (let c = 0; c < channels; c++) packed[o + c] = data[i * 4 + c]!;
  }
  const rgb = engine.toSrgb(packed, count);
  const out = new Uint8Array(count * 4);
  for (let i = 0; i < count; i++) {
    out[i * 4] = rgb[i * 3]!;
    out[i * 4 + 1] = rgb[i * 3 + 1]!;
    out[i * 4 + 2] = rgb[i * 3 + 2]!;
    out[i * 4 + 3] = data[i * 4 + 3]!;
  }
  return { width: bitmap.width, height: bitmap.height, data: out };
}
