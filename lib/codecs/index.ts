/**
 * The WASM codecs (mozjpeg, the Rust png crate, libwebp, libavif through @jsquash; libjpeg-turbo
 * for arithmetic-coded JPEGs; our own baseline JPEG encoder, lib/jpeg/encoder.ts), the third-party
 * ones each compiled once per process from its .wasm
 * file in node_modules and instantiated once (again only after a codec aborts).
 * Node 20's fetch() cannot read file: URLs, so the binaries are read from disk here: the only
 * file of the imaging core that reads a file (the CLI in lib/cli/ reads and writes the user's;
 * eslint.config.js names every file of lib/ allowed a file system, threads or the process).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { encodeBaselineJpeg } from '../jpeg/index.js';
// Every codec's glue is imported on first use: a cold start loads only what its image needs (a
// baseline JPEG decodes and encodes through lib/jpeg and needs none of them).
let mozjpegDecoder: typeof import('@jsquash/jpeg/decode.js') | undefined;
let mozjpegEncoder: typeof import('@jsquash/jpeg/encode.js') | undefined;
type MozjpegEncode = (typeof import('@jsquash/jpeg/encode.js'))['default'];
let pngDecoder: typeof import('@jsquash/png/decode.js') | undefined;
let pngEncoder: typeof import('@jsquash/png/encode.js') | undefined;
type PngEncode = (typeof import('@jsquash/png/encode.js'))['default'];
let webpDecoder: typeof import('@jsquash/webp/decode.js') | undefined;
let avifDecoder: typeof import('@jsquash/avif/decode.js') | undefined;
let webpEncoder: typeof import('@jsquash/webp/encode.js') | undefined;
type WebpEncode = (typeof import('@jsquash/webp/encode.js'))['default'];
let avifEncoder: typeof import('@jsquash/avif/encode.js') | undefined;
type AvifEncode = (typeof import('@jsquash/avif/encode.js'))['default'];

/** An 8-bit RGBA bitmap as the codecs return it. */
export interface CodecImage {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** The global WebAssembly API (Node has it; @types/node 20 does not declare it). */
declare const WebAssembly: {
  compile: (bytes: Uint8Array) => Promise<object>;
  instantiate: (module: object, imports: object) => Promise<object>;
};
/** The Emscripten wrappers' init(module, overrides); their typings omit the module argument. */
type InitWithModule = (module: object, overrides?: object) => Promise<unknown>;
const withModule = (init: unknown): InitWithModule => init as InitWithModule;

const require = createRequire(import.meta.url);
const compiled = new Map<string, Promise<object>>();

/** Compiles a codec's .wasm once per process (off the main thread). */
function wasmModule(specifier: string): Promise<object> {
  let module = compiled.get(specifier);
  if (!module) {
    module = WebAssembly.compile(readFileSync(require.resolve(specifier)));
    compiled.set(specifier, module);
  }
  return module;
}

/** Messages the Emscripten codecs print (libjpeg warnings such as "Premature end of JPEG file"). */
let codecMessages: string[] = [];
const emscriptenOptions = {
  print: (text: string) => codecMessages.push(text),
  printErr: (text: string) => codecMessages.push(text),
};

type Initialiser = () => Promise<unknown>;
const initialisers: Record<string, Initialiser> = {
  jpegDecoder: async () => {
    const [decoder, module] = await Promise.all([
      import('@jsquash/jpeg/decode.js'),
      wasmModule('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm'),
    ]);
    await withModule(decoder.init)(module, emscriptenOptions);
    mozjpegDecoder = decoder;
  },
  jpegTurbo: async () => {
    const factory = require('@cornerstonejs/codec-libjpeg-turbo-8bit/wasmjs') as TurboFactory;
    const module = await wasmModule('@cornerstonejs/codec-libjpeg-turbo-8bit/wasm');
    // Emscripten's hook to instantiate our compiled module instead of compiling its own; it
    // never hears of a failed instantiation, so that failure rejects alongside.
    let failed: (error: unknown) => void = () => undefined;
    const instantiationFailed = new Promise<never>((_, reject) => (failed = reject));
    turbo = await Promise.race([
      factory({
        instantiateWasm: (imports: object, receive: (instance: object) => void) => {
          WebAssembly.instantiate(module, imports).then(receive, failed);
          return {};
        },
        ...emscriptenOptions,
      }),
      instantiationFailed,
    ]);
  },
  png: async () => {
    const [decoder, encoder, module] = await Promise.all([
      import('@jsquash/png/decode.js'),
      import('@jsquash/png/encode.js'),
      wasmModule('@jsquash/png/codec/pkg/squoosh_png_bg.wasm'),
    ]);
    await decoder.init(module as never); // the encoder shares the decoder's wasm-bindgen module
    [pngDecoder, pngEncoder] = [decoder, encoder];
  },
  webpDecoder: async () => {
    const [decoder, module] = await Promise.all([
      import('@jsquash/webp/decode.js'),
      wasmModule('@jsquash/webp/codec/dec/webp_dec.wasm'),
    ]);
    await withModule(decoder.init)(module, emscriptenOptions);
    webpDecoder = decoder;
  },
  avifDecoder: async () => {
    const [decoder, module] = await Promise.all([
      import('@jsquash/avif/decode.js'),
      wasmModule('@jsquash/avif/codec/dec/avif_dec.wasm'),
    ]);
    await withModule(decoder.init)(module, emscriptenOptions);
    avifDecoder = decoder;
  },
};
/**
 * Loaded on first use only: mozjpeg encodes only the images too small for libjpeg-turbo's, and
 * the WebP and AVIF encoders serve only renditions in those formats (the AVIF one is 2.6 MB of
 * WASM: compiling it at every start would slow every cold start for a format most never use).
 */
const onDemand: Record<string, Initialiser> = {
  mozjpegEncoder: async () => {
    const [encoder, module] = await Promise.all([
      import('@jsquash/jpeg/encode.js'),
      wasmModule('@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm'),
    ]);
    await withModule(encoder.init)(module, emscriptenOptions);
    mozjpegEncoder = encoder;
  },
  webpEncoder: async () => {
    // The SIMD build: @jsquash's init picks the glue by feature detection, and every Node this
    // package supports (20.15 and later) has WASM SIMD, so the glue it picks is the SIMD one.
    const [encoder, module] = await Promise.all([
      import('@jsquash/webp/encode.js'),
      wasmModule('@jsquash/webp/codec/enc/webp_enc_simd.wasm'),
    ]);
    await withModule(encoder.init)(module, emscriptenOptions);
    webpEncoder = encoder;
  },
  avifEncoder: async () => {
    // The single-threaded build, which @jsquash's init always picks under Node.
    const [encoder, module] = await Promise.all([
      import('@jsquash/avif/encode.js'),
      wasmModule('@jsquash/avif/codec/enc/avif_enc.wasm'),
    ]);
    await withModule(encoder.init)(module, emscriptenOptions);
    avifEncoder = encoder;
  },
};
const ready = new Map<string, Promise<unknown>>();

/** Initialises one codec once; after a failure the next call instantiates it afresh. */
function ensure(name: string): Promise<unknown> {
  let promise = ready.get(name);
  if (!promise) {
    const initialise = initialisers[name] ?? onDemand[name];
    if (!initialise) throw new Error(`no codec named ${name}`);
    promise = initialise();
    ready.set(name, promise);
  }
  return promise;
}

/**
 * Codec calls run one at a time: the codecs report warnings through one shared print hook,
 * and the wrappers await between our reset and their synchronous WASM call, so two images in
 * flight at once could otherwise swap warnings. WASM calls are synchronous anyway, so nothing
 * is lost.
 */
let queue: Promise<unknown> = Promise.resolve();

/** Runs a codec call in turn; on failure drops the instance (an aborted module is not reused). */
function call<T>(name: string, work: () => Promise<T>): Promise<{ result: T; messages: string[] }> {
  const run = queue.then(() => exclusive(name, work));
  queue = run.catch(() => undefined);
  return run;
}

async function exclusive<T>(
  name: string,
  work: () => Promise<T>,
): Promise<{ result: T; messages: string[] }> {
  await ensure(name);
  codecMessages = [];
  try {
    const result = await work();
    return { result, messages: codecMessages };
  } catch (error) {
    ready.delete(name);
    const detail = codecMessages.filter((text) => !text.startsWith('Program terminated'));
    const message =
      detail.length > 0
        ? detail.join('; ')
        : error instanceof Error
          ? error.message
          : String(error);
    throw new CodecError(message, error);
  } finally {
    codecMessages = [];
  }
}

/** A codec refused the data; the message is the codec's own (e.g. libjpeg's). */
export class CodecError extends Error {
  override readonly name = 'CodecError';
  constructor(message: string, cause: unknown) {
    super(message, { cause });
  }
}

/**
 * The bytes as an ArrayBuffer of their own. A copy when they are a view into a larger buffer:
 * small Node Buffers share an 8 KB pool, and Buffer#slice is a view, not a copy.
 */
function asArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  if (
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength &&
    bytes.buffer instanceof ArrayBuffer
  ) {
    return bytes.buffer;
  }
  return new Uint8Array(bytes).buffer;
}

/** Loads every WASM codec once (optional warm-up for a CLI or function start). */
export async function loadCodecs(): Promise<void> {
  await Promise.all(Object.keys(initialisers).map((name) => ensure(name)));
}

/** Decodes a JPEG with mozjpeg to RGBA; returns libjpeg's warnings alongside. */
export async function decodeJpegWasm(
  bytes: Uint8Array,
): Promise<{ image: CodecImage; warnings: string[] }> {
  const { result, messages } = await call('jpegDecoder', () =>
    mozjpegDecoder!.default(asArrayBuffer(bytes)),
  );
  return { image: result as unknown as CodecImage, warnings: messages };
}

/**
 * Encodes RGBA (alpha ignored) as a baseline 4:2:2 JFIF JPEG with no EXIF or other metadata,
 * with our encoder (lib/jpeg/encoder.ts: TurboJPEG's output, byte for byte, several times
 * faster than libjpeg-turbo in WebAssembly). Tiny or thin images (see `keepsFullChroma`) go to
 * mozjpeg at 4:4:4 instead.
 */
export async function encodeJpegWasm(image: CodecImage, quality: number): Promise<Uint8Array> {
  const { width, height, data } = image;
  if (data.length !== width * height * 4) {
    throw new CodecError(
      `expected ${width * height * 4} bytes of RGBA, got ${data.length}`,
      undefined,
    );
  }
  if (!keepsFullChroma(width, height)) return encodeBaselineJpeg(image, quality);
  const { result } = await call('mozjpegEncoder', () =>
    mozjpegEncoder!.default(image as unknown as Parameters<MozjpegEncode>[0], {
      quality,
      baseline: true,
      progressive: false,
      optimize_coding: true,
      // Tiny images keep full chroma: it costs a few bytes, and 2x subsampling would smear
      // most of their colour edges.
      auto_subsample: false,
      chroma_subsample: 1,
    }),
  );
  return new Uint8Array(result);
}

/**
 * Whether an image is small or thin enough to keep full chroma (mozjpeg at 4:4:4): those smaller
 * than about 32x32, or a few pixels thin. The rule is the one the libjpeg-turbo encoder's
 * buffer sizing once imposed (twice packed RGB below TurboJPEG's worst case for 4:2:2), kept so
 * that outputs stay as they were.
 */
function keepsFullChroma(width: number, height: number): boolean {
  const pad = (n: number, to: number) => Math.ceil(n / to) * to;
  return width * height * 6 < pad(width, 16) * pad(height, 8) * 4 + 2048;
}

/** Decodes a PNG (any bit depth, palette, interlaced; first frame of an APNG) to 8-bit RGBA. */
export async function decodePngWasm(bytes: Uint8Array): Promise<CodecImage> {
  const { result } = await call('png', () => pngDecoder!.decode(asArrayBuffer(bytes)));
  return result as unknown as CodecImage;
}

/** Encodes RGBA as an 8-bit PNG. */
export async function encodePngWasm(image: CodecImage): Promise<Uint8Array> {
  const { result } = await call('png', () =>
    pngEncoder!.default(image as unknown as Parameters<PngEncode>[0]),
  );
  return new Uint8Array(result);
}

/**
 * Encodes RGBA as a lossy WebP at `quality` (1-100, libwebp's own scale); the alpha channel is
 * kept when any pixel is transparent. No EXIF or other metadata.
 */
export async function encodeWebpWasm(image: CodecImage, quality: number): Promise<Uint8Array> {
  const { result } = await call('webpEncoder', () =>
    webpEncoder!.default(image as unknown as Parameters<WebpEncode>[0], { quality }),
  );
  return new Uint8Array(result);
}

/** Decodes a WebP (lossy or lossless, with alpha) to RGBA. */
export async function decodeWebpWasm(bytes: Uint8Array): Promise<CodecImage> {
  const { result } = await call('webpDecoder', () => webpDecoder!.default(asArrayBuffer(bytes)));
  return result as unknown as CodecImage;
}

/**
 * Runs `work` with a libjpeg-turbo encoder or decoder and frees it after. What it throws is a
 * CodecError; its C++ exceptions reach JavaScript as bare numbers (pointers), not Errors, so
 * those get `failure` for a message.
 */
function usingTurbo<Codec extends { delete(): void }, T>(
  codec: Codec,
  failure: string,
  work: (codec: Codec) => T,
): T {
  try {
    return work(codec);
  } catch (error) {
    throw new CodecError(
      error instanceof Error ? error.message : `libjpeg-turbo ${failure}`,
      error,
    );
  } finally {
    codec.delete();
  }
}

/** libjpeg-turbo's decoder as @cornerstonejs builds it (CommonJS, no typings). */
interface TurboDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getFrameInfo(): { width: number; height: number; componentCount: number };
  getDecodedBuffer(): Uint8Array;
  delete(): void;
}
type TurboModule = { JPEGDecoder: new () => TurboDecoder };
type TurboFactory = (options: object) => Promise<TurboModule>;
let turbo: TurboModule | undefined;

/**
 * Decodes a JPEG with libjpeg-turbo built with arithmetic decoding (mozjpeg's build lacks it).
 * Used only for arithmetic-coded files: it is slower than mozjpeg on ordinary ones.
 */
export async function decodeJpegTurbo(bytes: Uint8Array): Promise<CodecImage> {
  const { result } = await call('jpegTurbo', async () =>
    usingTurbo(new turbo!.JPEGDecoder(), 'could not decode the data', (decoder) => {
      decoder.getEncodedBuffer(bytes.length).set(bytes);
      decoder.decode();
      const { width, height, componentCount } = decoder.getFrameInfo();
      const decoded = decoder.getDecodedBuffer();
      if (
        decoded.length !== width * height * componentCount ||
        (componentCount !== 1 && componentCount !== 3)
      ) {
        throw new Error(`unexpected ${componentCount}-channel output`);
      }
      const data = new Uint8ClampedArray(width * height * 4);
      const gray = componentCount === 1;
      for (let i = 0, o = 0; o < data.length; i += componentCount, o += 4) {
        data[o] = decoded[i]!;
        data[o + 1] = decoded[gray ? i : i + 1]!;
        data[o + 2] = decoded[gray ? i : i + 2]!;
        data[o + 3] = 255;
      }
      return { width, height, data };
    }),
  );
  return result;
}

/** Decodes an AVIF to 8-bit RGBA. */
export async function decodeAvifWasm(bytes: Uint8Array): Promise<CodecImage> {
  const { result } = await call('avifDecoder', () => avifDecoder!.default(asArrayBuffer(bytes)));
  return result as unknown as CodecImage;
}

/**
 * Encodes RGBA as an 8-bit 4:2:0 AVIF; `quality` (1-100) maps to libavif's quantiser the way
 * libavif maps its own quality setting, so 100 is its best lossy setting and 50 its middle.
 * The alpha plane is written when any pixel is transparent.
 */
export async function encodeAvifWasm(image: CodecImage, quality: number): Promise<Uint8Array> {
  const cqLevel = Math.floor(((100 - quality) * 63 + 50) / 100);
  const { result } = await call('avifEncoder', () =>
    avifEncoder!.default(image as unknown as Parameters<AvifEncode>[0], {
      cqLevel,
      speed: AVIF_SPEED,
    }),
  );
  return new Uint8Array(result);
}

/**
 * libavif's speed, 0 (slowest, smallest files) to 10 (fastest). Measured here (2-core AMD EPYC
 * VM shared with other work, load average about 2, Node 20; the bench's 800x600 photo-like
 * JPEG, which is noisier than most photos, at quality 82; median of 5 encodes after a warm-up):
 * speed 6: 1345 ms, 7: 1375 ms, 8: 1534 ms, 9: 1345 ms, 10: 694 ms (about 730 ms of CPU), the
 * files 156-163 KB. Only 10 keeps an 800x600 rendition within a few hundred milliseconds, for
 * files at most 5 % larger than speed 6's; `npm run bench` reports the figure again.
 */
const AVIF_SPEED = 10;
