/**
 * The colour engine for the profiles our own reader (icc.ts: RGB matrix/TRC) cannot apply:
 * CMYK, LUT-based RGB (mft1, mft2, mAB) and grey. LittleCMS 2.16, compiled to WASM (the
 * lcms-wasm package, MIT like LittleCMS), converts through the profile to sRGB with the
 * perceptual intent, as sharp (libvips) does. Loaded on the first profile that needs it (about
 * 300 KB of WASM); each profile's transform is built once per process and kept, by the
 * profile's SHA-256, for the next image that embeds it.
 */
import { gridNodes, interpolateCmyk } from './cmyk-grid.js';
import { sha256Hex } from './metadata.js';

/** The data colour spaces the engine converts from. */
export type EngineInput = 'CMYK' | 'RGB' | 'GRAY';

/** One profile's conversion to sRGB. */
export interface SrgbTransform {
  readonly input: EngineInput;
  /**
   * Converts `count` packed pixels (4, 3 or 1 bytes each, as `input` says; CMYK as ink amounts,
   * 0 = none) to packed 8-bit sRGB, 3 bytes each.
   */
  toSrgb(pixels: Uint8Array, count: number): Uint8Array;
}

/** The part of lcms-wasm's API used here (the package has no typings). */
interface Lcms {
  cmsOpenProfileFromMem(bytes: Uint8Array, size: number): number;
  cmsCreate_sRGBProfile(): number;
  cmsCreateTransform(
    input: number,
    inputFormat: number,
    output: number,
    outputFormat: number,
    intent: number,
    flags: number,
  ): number;
  cmsDoTransform(transform: number, pixels: Uint8Array, count: number): Uint8Array;
  cmsDeleteTransform(transform: number): void;
  /** The C function itself: the 1.0.2 wrapper of this name calls cmsCreate_sRGBProfile. */
  _cmsCloseProfile(profile: number): number;
}
interface LcmsPackage {
  instantiate(): Promise<Lcms>;
  TYPE_CMYK_8: number;
  TYPE_RGB_8: number;
  TYPE_GRAY_8: number;
  INTENT_PERCEPTUAL: number;
}

/** A variable specifier: lcms-wasm has no typings; LcmsPackage says what is used. */
const LCMS_PACKAGE = 'lcms-wasm';
let engine: Promise<{ lcms: Lcms; formats: LcmsPackage; srgb: number }> | undefined;

/** LittleCMS, instantiated once per process (per worker thread: each has its own). */
function loadEngine(): NonNullable<typeof engine> {
  engine ??= (async () => {
    const formats = (await import(LCMS_PACKAGE)) as LcmsPackage;
    const lcms = await formats.instantiate();
    return { lcms, formats, srgb: lcms.cmsCreate_sRGBProfile() };
  })();
  return engine;
}

/**
 * Pixels per call into WASM: the package's cmsDoTransform copies each call's input and output
 * through the WASM heap, and linear memory never shrinks, so a whole 12 MP image in one call
 * would keep about 84 MB for the life of the process. 64 Ki pixels keep it under 0.5 MB.
 */
const STRIP_PIXELS = 65536;

/** LittleCMS's cmsFLAGS_NOOPTIMIZE (lcms2.h; lcms-wasm 1.0.2 exports no flags). */
const CMS_FLAGS_NOOPTIMIZE = 0x0100;

/** The CMYK grid's node count (16 per channel). */
const NODES_COUNT = 16 ** 4;

/** Larger profiles are not handed to the engine (see buildTransform). */
const MAX_ENGINE_PROFILE_BYTES = 8 * 1024 * 1024;

/** At most this many transforms are kept; the oldest goes first (a few KB to 1 MB each). */
const CACHE_SIZE = 16;
const cache = new Map<string, Promise<SrgbTransform | undefined>>();
const deleteTransform = new Map<string, () => void>();

/**
 * The transform from a profile to sRGB, or undefined when LittleCMS cannot parse the profile or
 * build a transform from it for `input` pixels (the caller then converts as if there were no
 * profile, and says so). Cached per process by the profile's SHA-256.
 */
export function srgbTransformOf(
  profile: Uint8Array,
  input: EngineInput,
): Promise<SrgbTransform | undefined> {
  const key = `${input}:${sha256Hex(profile)}`;
  const cached = cache.get(key);
  if (cached) {
    cache.delete(key); // most recently used last
    cache.set(key, cached);
    return cached;
  }
  const built = buildTransform(key, profile, input).catch((error: unknown) => {
    // The engine itself failed (not the profile): let the next image try again.
    cache.delete(key);
    engine = undefined;
    throw error;
  });
  cache.set(key, built);
  if (cache.size > CACHE_SIZE) evict(cache.keys().next().value!);
  return built;
}

function evict(key: string): void {
  cache.delete(key);
  deleteTransform.get(key)?.();
  deleteTransform.delete(key);
}

async function buildTransform(
  key: string,
  profile: Uint8Array,
  input: EngineInput,
): Promise<SrgbTransform | undefined> {
  // The package copies a profile onto its 15 MB WASM stack; real profiles are a few MB at most.
  if (profile.length > MAX_ENGINE_PROFILE_BYTES) return undefined;
  const loaded = await loadEngine();
  try {
    return openTransform(loaded, key, profile, input);
  } catch (error) {
    if (!isWasmTrap(error)) throw error;
    // A trap inside LittleCMS (a profile it mishandles) leaves that instance unusable: the next
    // profile gets a fresh one, and this one counts as a profile that cannot be parsed.
    engine = undefined;
    cache.clear();
    deleteTransform.clear();
    return undefined;
  }
}

/** The profile opened, its transform to sRGB built, and the profile closed again. */
function openTransform(
  { lcms, formats, srgb }: Awaited<ReturnType<typeof loadEngine>>,
  key: string,
  profile: Uint8Array,
  input: EngineInput,
): SrgbTransform | undefined {
  const opened = lcms.cmsOpenProfileFromMem(profile, profile.length);
  if (!opened) return undefined;
  const inputFormat = {
    CMYK: formats.TYPE_CMYK_8,
    RGB: formats.TYPE_RGB_8,
    GRAY: formats.TYPE_GRAY_8,
  };
  const channels = { CMYK: 4, RGB: 3, GRAY: 1 }[input];
  let handle = 0;
  try {
    // Fails (0) when the profile's colour space is not `input`, or its tables are unusable.
    handle = lcms.cmsCreateTransform(
      opened,
      inputFormat[input],
      srgb,
      formats.TYPE_RGB_8,
      formats.INTENT_PERCEPTUAL,
      // CMYK is sampled into our own grid: each node exact, not read off LittleCMS's own grid.
      input === 'CMYK' ? CMS_FLAGS_NOOPTIMIZE : 0,
    );
  } finally {
    lcms._cmsCloseProfile(opened); // the transform keeps what it needs
  }
  if (!handle) return undefined;
  if (input === 'CMYK') {
    // Sampled once into a grid and interpolated in JavaScript (see cmyk-grid.ts for why).
    const grid = runTransform(lcms, handle, gridNodes(), NODES_COUNT, 4);
    lcms.cmsDeleteTransform(handle);
    return { input, toSrgb: (pixels, count) => interpolateCmyk(grid, pixels, count) };
  }
  deleteTransform.set(key, () => lcms.cmsDeleteTransform(handle));
  return { input, toSrgb: (pixels, count) => runTransform(lcms, handle, pixels, count, channels) };
}

/**
 * A WebAssembly.RuntimeError: a trap or an Emscripten abort inside the WASM code (by its name:
 * @types/node 20 does not declare the WebAssembly global, see lib/codecs).
 */
function isWasmTrap(error: unknown): boolean {
  return error instanceof Error && error.name === 'RuntimeError';
}

/** Pixels through a LittleCMS transform, a strip at a time (see STRIP_PIXELS). */
function runTransform(
  lcms: Lcms,
  handle: number,
  pixels: Uint8Array,
  count: number,
  channels: number,
): Uint8Array {
  const out = new Uint8Array(count * 3);
  for (let first = 0; first < count; first += STRIP_PIXELS) {
    const n = Math.min(STRIP_PIXELS, count - first);
    const strip = pixels.subarray(first * channels, (first + n) * channels);
    out.set(lcms.cmsDoTransform(handle, strip, n), first * 3);
  }
  return out;
}
