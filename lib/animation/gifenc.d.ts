/** The parts of gifenc (MIT, pure JavaScript; it ships no typings) that lib/animation/ uses. */
declare module 'gifenc' {
  type Palette = number[][];
  type PixelFormat = 'rgb565' | 'rgb444' | 'rgba4444';
  interface FrameOptions {
    palette?: Palette;
    /** Milliseconds (written in hundredths of a second). */
    delay?: number;
    transparent?: boolean;
    transparentIndex?: number;
    /** -1 once, 0 forever, n: n repetitions (the first frame's is written). */
    repeat?: number;
    dispose?: number;
  }
  interface Encoder {
    writeFrame(index: Uint8Array, width: number, height: number, options?: FrameOptions): void;
    finish(): void;
    bytes(): Uint8Array;
  }
  interface GifEnc {
    quantize(
      rgba: Uint8Array | Uint8ClampedArray,
      maxColors: number,
      options?: { format?: PixelFormat; oneBitAlpha?: boolean | number; clearAlpha?: boolean },
    ): Palette;
    applyPalette(
      rgba: Uint8Array | Uint8ClampedArray,
      palette: Palette,
      format?: PixelFormat,
    ): Uint8Array;
    GIFEncoder(options?: { auto?: boolean }): Encoder;
  }
  export const quantize: GifEnc['quantize'];
  export const applyPalette: GifEnc['applyPalette'];
  export const GIFEncoder: GifEnc['GIFEncoder'];
  /** Node's ESM import of this CommonJS bundle: the whole exports object. */
  const exports: GifEnc;
  export default exports;
}
