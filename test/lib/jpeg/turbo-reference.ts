/**
 * The reference for lib/jpeg/encoder.ts: libjpeg-turbo's TurboJPEG compressing packed RGB at
 * 4:2:2 (the @cornerstonejs WebAssembly build, which the library used to encode with). Test
 * code only.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The part of the global WebAssembly API used here (@types/node 20 does not declare it). */
declare const WebAssembly: {
  compile(bytes: Uint8Array): Promise<object>;
  instantiate(module: object, imports: object): Promise<object>;
};

interface TurboEncoder {
  setProgressive(progressive: 0 | 1): void;
  setSubSampling(subsampling: number): void;
  setQuality(quality: number): void;
  getDecodedBuffer(frame: object): Uint8Array;
  encode(): void;
  getEncodedBuffer(): Uint8Array;
  delete(): void;
}
type TurboModule = { JPEGEncoder: new () => TurboEncoder };

let loaded: Promise<TurboModule> | undefined;

function turbo(): Promise<TurboModule> {
  loaded ??= (async () => {
    const factory = require('@cornerstonejs/codec-libjpeg-turbo-8bit/wasmjs') as (
      options: object,
    ) => Promise<TurboModule>;
    const wasm = readFileSync(require.resolve('@cornerstonejs/codec-libjpeg-turbo-8bit/wasm'));
    const module = await WebAssembly.compile(wasm);
    return factory({
      instantiateWasm: (imports: object, receive: (instance: object) => void) => {
        void WebAssembly.instantiate(module, imports).then(receive);
        return {};
      },
      print: () => undefined,
      printErr: () => undefined,
    });
  })();
  return loaded;
}

/**
 * TurboJPEG's JPEG of an RGBA image at `quality`, 4:2:2. The wrapper sizes TurboJPEG's output
 * buffer from the input buffer, so the input is declared 16-bit (twice the room) while the
 * pixels go in as 8-bit RGB; images too small even so are refused (the library never sent them).
 */
export async function turboJpeg(
  image: { width: number; height: number; data: Uint8Array | Uint8ClampedArray },
  quality: number,
): Promise<Uint8Array> {
  const { width, height, data } = image;
  const pad = (n: number, to: number) => Math.ceil(n / to) * to;
  if (width * height * 6 < pad(width, 16) * pad(height, 8) * 4 + 2048) {
    throw new RangeError(`${width}x${height} is too small for the reference encoder's buffer`);
  }
  const encoder = new (await turbo()).JPEGEncoder();
  try {
    encoder.setProgressive(0);
    encoder.setSubSampling(1); // TJSAMP_422
    encoder.setQuality(quality);
    const frame = { width, height, bitsPerSample: 16, componentCount: 3, isSigned: false };
    const rgb = encoder.getDecodedBuffer(frame);
    for (let i = 0, o = 0; i < data.length; i += 4, o += 3) {
      rgb[o] = data[i]!;
      rgb[o + 1] = data[i + 1]!;
      rgb[o + 2] = data[i + 2]!;
    }
    encoder.encode();
    return Uint8Array.from(encoder.getEncodedBuffer());
  } finally {
    encoder.delete();
  }
}
