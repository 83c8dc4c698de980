/**
 * Writes 32-bit bit-field BMPs by hand for the tests and fuzz seeds (sharp does not write BMP,
 * and CI has no ImageMagick): any info header size, BI_BITFIELDS or BI_ALPHABITFIELDS, bottom-up
 * or top-down rows, and the colour masks a writer declares.
 */

/** How to write the file; pixels are RGBA, top row first. */
export interface Bmp32Options {
  width: number;
  height: number;
  rgba: ArrayLike<number>;
  /** 40 (masks follow the header), 52 (V2), 56 (V3), 108 (V4) or 124 (V5); default 124. */
  headerSize?: 40 | 52 | 56 | 108 | 124;
  /** 3 = BI_BITFIELDS (default), 6 = BI_ALPHABITFIELDS. */
  compression?: 3 | 6;
  /** Rows stored top row first (negative height); default bottom-up. */
  topDown?: boolean;
  /** The alpha mask declared; 0 declares none. Default 0xff000000. */
  alphaMask?: number;
  /** Store every pixel's alpha as 0 (writers that declare a mask but leave it unused). */
  zeroAlpha?: boolean;
}

/** A 32-bit BMP with masks red 0x00ff0000, green 0x0000ff00, blue 0x000000ff and `alphaMask`. */
export function bmp32(options: Bmp32Options): Uint8Array {
  const { width, height, rgba } = options;
  const headerSize = options.headerSize ?? 124;
  const compression = options.compression ?? 3;
  const alphaMask = options.alphaMask ?? 0xff000000;
  const masks = [0x00ff0000, 0x0000ff00, 0x000000ff, alphaMask];
  const maskCount = compression === 6 || headerSize >= 56 ? 4 : 3;
  const masksEnd = 14 + 40 + maskCount * 4;
  const pixelOffset = Math.max(14 + headerSize, masksEnd);
  const out = Buffer.alloc(pixelOffset + width * height * 4);
  out.write('BM', 0, 'ascii');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(pixelOffset, 10);
  out.writeUInt32LE(headerSize, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(options.topDown === true ? -height : height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(32, 28);
  out.writeUInt32LE(compression, 30);
  out.writeUInt32LE(width * height * 4, 34);
  for (let i = 0; i < maskCount; i++) out.writeUInt32LE(masks[i]! >>> 0, 54 + i * 4);
  if (headerSize >= 108) out.write('BGRs', 70, 'ascii'); // LCS_WINDOWS_COLOR_SPACE
  for (let y = 0; y < height; y++) {
    const stored = options.topDown === true ? y : height - 1 - y;
    for (let x = 0; x < width; x++) {
      const from = (y * width + x) * 4;
      const to = pixelOffset + (stored * width + x) * 4;
      out[to] = rgba[from + 2]!;
      out[to + 1] = rgba[from + 1]!;
      out[to + 2] = rgba[from]!;
      out[to + 3] = options.zeroAlpha === true ? 0 : rgba[from + 3]!;
    }
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}
