/**
 * The one reader of TIFF image file directories (IFDs), shared by the size guard, the ICC
 * reader and the directory reader in front of utif2 (tiff.ts). Bounded: every count and offset
 * is checked against the data before it is read, so a hostile directory costs at most one pass
 * over its entries.
 */

/** Bytes per value of each TIFF field type (1 BYTE ... 13 IFD). */
const TYPE_SIZES: Record<number, number> = {
  1: 1,
  2: 1,
  3: 2,
  4: 4,
  5: 8,
  6: 1,
  7: 1,
  8: 2,
  9: 4,
  10: 8,
  11: 4,
  12: 8,
  13: 4,
};

/** A TIFF's byte order and its first directory's offset. */
export interface TiffHeader {
  little: boolean;
  firstIfd: number;
  view: DataView;
}

/** One 12-byte directory entry. */
export interface TiffEntry {
  tag: number;
  type: number;
  /** Number of values. */
  count: number;
  /** Offset of the entry itself. */
  offset: number;
  /**
   * Offset of the values: inside the entry when they fit in its 4 bytes, else where it points.
   * Undefined for a field type TIFF does not define.
   */
  valueOffset: number | undefined;
  /** Bytes the values take (count times the type's size); undefined for an unknown type. */
  size: number | undefined;
}

/** Where one directory lies: its entry count, whether they fit, and the next directory. */
export interface TiffIfd {
  offset: number;
  /** Entries the directory declares. */
  declared: number;
  /** True when every declared entry lies within the data. */
  complete: boolean;
  /** Offset of the next directory (0: none); undefined when its pointer lies past the data. */
  next: number | undefined;
}

/** The byte order and first directory offset; undefined when the 8-byte header is cut short. */
export function readTiffHeader(bytes: Uint8Array): TiffHeader | undefined {
  if (bytes.length < 8) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = bytes[0] === 0x49;
  return { little, view, firstIfd: view.getUint32(4, little) };
}

/**
 * Where the directory at `offset` lies, without reading its entries (a chain of directories
 * costs one step each); undefined when not even its entry count lies within the data.
 */
export function readTiffIfd(header: TiffHeader, offset: number): TiffIfd | undefined {
  const { view, little } = header;
  if (!(offset >= 0 && offset + 2 <= view.byteLength)) return undefined;
  const declared = view.getUint16(offset, little);
  const pointer = offset + 2 + declared * 12;
  return {
    offset,
    declared,
    complete: pointer <= view.byteLength,
    next: pointer + 4 <= view.byteLength ? view.getUint32(pointer, little) : undefined,
  };
}

/** The entries of a directory that lie within the data, in file order. */
export function* tiffEntries(header: TiffHeader, ifd: TiffIfd): Generator<TiffEntry> {
  const { view, little } = header;
  const fitting = Math.min(ifd.declared, Math.floor((view.byteLength - ifd.offset - 2) / 12));
  for (let i = 0; i < fitting; i++) {
    const at = ifd.offset + 2 + i * 12;
    const type = view.getUint16(at + 2, little);
    const count = view.getUint32(at + 4, little);
    const typeSize = TYPE_SIZES[type];
    const size = typeSize === undefined ? undefined : count * typeSize;
    yield {
      tag: view.getUint16(at, little),
      type,
      count,
      offset: at,
      size,
      valueOffset:
        size === undefined ? undefined : size <= 4 ? at + 8 : view.getUint32(at + 8, little),
    };
  }
}
