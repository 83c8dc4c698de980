/**
 * The HEIF container (ISO/IEC 23008-12, ISOBMFF boxes), read without decoding anything: the
 * brands, the primary item, its properties (size `ispe`, rotation `irot`, mirror `imir`, colour
 * `colr`) and the EXIF item that describes it. The guard reads the declared size from here before
 * libheif allocates a pixel; the exif and colour stages take the EXIF and the ICC profile.
 */
import { concatBytes } from './bytes.js';

/** A box the reader could not make sense of: the guard reports it as CORRUPT_IMAGE. */
export class HeifContainerError extends Error {}

/** One box: its four-letter type and where its payload lies (after size and type). */
export interface Box {
  type: string;
  /** Offset of the box's first byte. */
  offset: number;
  /** Offset of the payload (after the 8- or 16-byte header). */
  start: number;
  /** Offset just past the box. */
  end: number;
}

/** What the container says about the primary image. */
export interface HeifContainer {
  /** Size of the coded image (`ispe`), before rotation and mirroring. */
  width: number;
  height: number;
  /**
   * The rotation and mirroring of the primary item's `irot`/`imir` properties as an EXIF
   * orientation (1-8). The HEIF specification makes these authoritative and an EXIF
   * Orientation tag informational only; libheif applies them when decoding.
   */
  orientation: number;
  /** The ICC profile of a `colr` box of type `prof` or `rICC`, if any. */
  iccProfile?: Uint8Array;
  /** The EXIF item's TIFF structure (after its header offset), if any. */
  exif?: Uint8Array;
}

/** Brands of HEIF still images and image collections, HEVC-coded or generic (`mif1`). */
const HEIF_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'mif1', 'msf1']);
/** Brands of AVIF: a file that also lists one of these is AVIF (libavif decodes it). */
const AVIF_BRANDS = new Set(['avif', 'avis']);

function u8(bytes: Uint8Array, at: number): number {
  const value = bytes[at];
  if (value === undefined) throw new HeifContainerError('box ends early');
  return value;
}
function u16(bytes: Uint8Array, at: number): number {
  return (u8(bytes, at) << 8) | u8(bytes, at + 1);
}
function u32(bytes: Uint8Array, at: number): number {
  return ((u16(bytes, at) << 16) | u16(bytes, at + 2)) >>> 0;
}
/** A big-endian unsigned number of 0, 4 or 8 bytes (iloc's variable-width fields). */
function uint(bytes: Uint8Array, at: number, size: number): number {
  if (size === 0) return 0;
  if (size === 4) return u32(bytes, at);
  if (size === 8) return u32(bytes, at) * 2 ** 32 + u32(bytes, at + 4);
  throw new HeifContainerError(`field of ${size} bytes`);
}
function fourcc(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(
    u8(bytes, at),
    u8(bytes, at + 1),
    u8(bytes, at + 2),
    u8(bytes, at + 3),
  );
}

/** The boxes between `from` and `to`; each must lie within them (else HeifContainerError). */
export function* boxes(bytes: Uint8Array, from: number, to: number): Generator<Box> {
  for (let offset = from; offset + 8 <= to;) {
    let size = u32(bytes, offset);
    const type = fourcc(bytes, offset + 4);
    let header = 8;
    if (size === 1) {
      size = uint(bytes, offset + 8, 8);
      header = 16;
    } else if (size === 0) size = to - offset;
    if (size < header || offset + size > to) throw new HeifContainerError(`bad ${type} box size`);
    yield { type, offset, start: offset + header, end: offset + size };
    offset += size;
  }
}

function child(bytes: Uint8Array, parent: Box, type: string, skip = 0): Box | undefined {
  for (const box of boxes(bytes, parent.start + skip, parent.end))
    if (box.type === type) return box;
  return undefined;
}

/** The `ftyp` brands, major first; empty when the file does not start with `ftyp`. */
function brandsOf(bytes: Uint8Array): string[] {
  if (bytes.length < 16 || fourcc(bytes, 4) !== 'ftyp') return [];
  const end = Math.min(u32(bytes, 0), bytes.length);
  const brands = [fourcc(bytes, 8)];
  for (let at = 16; at + 4 <= end; at += 4) brands.push(fourcc(bytes, at));
  return brands;
}

/**
 * True for a HEIF still image or collection that is not AVIF (AVIF files list `mif1` too, and
 * stay with libavif). Reads only the `ftyp` box.
 */
export function isHeif(bytes: Uint8Array): boolean {
  const brands = brandsOf(bytes);
  return brands.some((brand) => HEIF_BRANDS.has(brand)) && !brands.some((b) => AVIF_BRANDS.has(b));
}

/** The version (high byte) of a full box, whose payload starts with version and flags. */
function versionOf(bytes: Uint8Array, box: Box): number {
  return u8(bytes, box.start);
}

function primaryItem(bytes: Uint8Array, meta: Box): number {
  const pitm = child(bytes, meta, 'pitm', 4);
  if (!pitm) throw new HeifContainerError('no primary item (pitm)');
  return versionOf(bytes, pitm) === 0 ? u16(bytes, pitm.start + 4) : u32(bytes, pitm.start + 4);
}

/** The properties (`ipco` children, in order) associated with `item` by `ipma`, in its order. */
function itemProperties(bytes: Uint8Array, meta: Box, item: number): Box[] {
  const iprp = child(bytes, meta, 'iprp', 4);
  const ipco = iprp && child(bytes, iprp, 'ipco');
  const ipma = iprp && child(bytes, iprp, 'ipma');
  if (!ipco || !ipma) throw new HeifContainerError('no item properties (iprp)');
  const properties = [...boxes(bytes, ipco.start, ipco.end)];
  const version = versionOf(bytes, ipma);
  const wide = (u8(bytes, ipma.start + 3) & 1) === 1;
  const found: Box[] = [];
  let at = ipma.start + 8;
  for (let entry = u32(bytes, ipma.start + 4); entry > 0; entry--) {
    const id = version < 1 ? u16(bytes, at) : u32(bytes, at);
    at += version < 1 ? 2 : 4;
    const count = u8(bytes, at++);
    for (let i = 0; i < count; i++, at += wide ? 2 : 1) {
      const index = wide ? u16(bytes, at) & 0x7fff : u8(bytes, at) & 0x7f;
      const property = properties[index - 1];
      if (id === item && property) found.push(property);
    }
  }
  return found;
}

/** A 2x2 integer matrix on (x, y), y pointing down, row-major. */
type Matrix = readonly [number, number, number, number];
const multiply = (a: Matrix, b: Matrix): Matrix => [
  a[0] * b[0] + a[1] * b[2],
  a[0] * b[1] + a[1] * b[3],
  a[2] * b[0] + a[3] * b[2],
  a[2] * b[1] + a[3] * b[3],
];
/** The transform each EXIF orientation applies to the stored image to display it. */
const ORIENTATIONS: Record<number, Matrix> = {
  1: [1, 0, 0, 1],
  2: [-1, 0, 0, 1],
  3: [-1, 0, 0, -1],
  4: [1, 0, 0, -1],
  5: [0, 1, 1, 0],
  6: [0, -1, 1, 0],
  7: [0, -1, -1, 0],
  8: [0, 1, -1, 0],
};
/** `irot`: a quarter turn anti-clockwise. */
const QUARTER_ANTICLOCKWISE: Matrix = [0, 1, -1, 0];

/** The `irot` and `imir` properties, in their order, as an EXIF orientation. */
function orientationOf(bytes: Uint8Array, properties: readonly Box[]): number {
  let total: Matrix = ORIENTATIONS[1]!;
  for (const property of properties) {
    if (property.type === 'irot') {
      for (let turns = u8(bytes, property.start) & 3; turns > 0; turns--)
        total = multiply(QUARTER_ANTICLOCKWISE, total);
    } else if (property.type === 'imir') {
      // Axis 0 is vertical (left and right swap), 1 horizontal (top and bottom swap).
      const axis = u8(bytes, property.start) & 1;
      total = multiply(axis === 0 ? ORIENTATIONS[2]! : ORIENTATIONS[4]!, total);
    }
  }
  const match = Object.entries(ORIENTATIONS).find(([, m]) => m.every((v, i) => v === total[i]));
  return Number(match![0]);
}

function iccOf(bytes: Uint8Array, properties: readonly Box[]): Uint8Array | undefined {
  for (const property of properties) {
    if (property.type !== 'colr' || property.end - property.start < 4) continue;
    const kind = fourcc(bytes, property.start);
    if (kind === 'prof' || kind === 'rICC') return bytes.subarray(property.start + 4, property.end);
  }
  return undefined;
}

/** The item of type `Exif` whose `cdsc` reference describes `primary`, if any. */
function exifItem(bytes: Uint8Array, meta: Box, primary: number): number | undefined {
  const iinf = child(bytes, meta, 'iinf', 4);
  if (!iinf) return undefined;
  const exifItems = new Set<number>();
  const skip = versionOf(bytes, iinf) === 0 ? 6 : 8;
  for (const infe of boxes(bytes, iinf.start + skip, iinf.end)) {
    const version = versionOf(bytes, infe);
    if (infe.type !== 'infe' || version < 2) continue;
    const id = version === 2 ? u16(bytes, infe.start + 4) : u32(bytes, infe.start + 4);
    const typeAt = infe.start + (version === 2 ? 8 : 10);
    if (fourcc(bytes, typeAt) === 'Exif') exifItems.add(id);
  }
  const iref = child(bytes, meta, 'iref', 4);
  if (!iref || exifItems.size === 0) return undefined;
  const wide = versionOf(bytes, iref) !== 0;
  const id = (at: number) => (wide ? u32(bytes, at) : u16(bytes, at));
  const size = wide ? 4 : 2;
  for (const reference of boxes(bytes, iref.start + 4, iref.end)) {
    const from = id(reference.start);
    if (reference.type !== 'cdsc' || !exifItems.has(from)) continue;
    const count = u16(bytes, reference.start + size);
    for (let i = 0; i < count; i++) {
      if (id(reference.start + size + 2 + i * size) === primary) return from;
    }
  }
  return undefined;
}

/** The bytes of `item` from `iloc` (file offsets, or the `idat` box), joined when in extents. */
function itemData(bytes: Uint8Array, meta: Box, item: number): Uint8Array | undefined {
  const iloc = child(bytes, meta, 'iloc', 4);
  if (!iloc) return undefined;
  const version = versionOf(bytes, iloc);
  const sizes = u16(bytes, iloc.start + 4);
  const [offsetSize, lengthSize, baseSize] = [sizes >> 12, (sizes >> 8) & 15, (sizes >> 4) & 15];
  const indexSize = version >= 1 ? sizes & 15 : 0;
  let at = iloc.start + 6;
  const count = version < 2 ? u16(bytes, at) : u32(bytes, at);
  at += version < 2 ? 2 : 4;
  for (let i = 0; i < count; i++) {
    const id = version < 2 ? u16(bytes, at) : u32(bytes, at);
    at += version < 2 ? 2 : 4;
    const method = version >= 1 ? u16(bytes, at) & 15 : 0;
    at += version >= 1 ? 4 : 2; // construction method (v1, v2) and data reference index
    const base = uint(bytes, at, baseSize);
    at += baseSize;
    const extents = u16(bytes, at);
    at += 2;
    const parts: Uint8Array[] = [];
    for (let e = 0; e < extents; e++) {
      at += indexSize;
      const offset = base + uint(bytes, at, offsetSize);
      const length = uint(bytes, at + offsetSize, lengthSize);
      at += offsetSize + lengthSize;
      const origin = method === 1 ? child(bytes, meta, 'idat', 4)?.start : 0;
      if (origin === undefined || method > 1) return undefined;
      parts.push(bytes.subarray(origin + offset, origin + offset + length));
    }
    if (id === item) return parts.length === 1 ? parts[0] : concatBytes(parts);
  }
  return undefined;
}

/** The EXIF item's TIFF structure: its payload starts with the offset of the TIFF header. */
function exifOf(bytes: Uint8Array, meta: Box, primary: number): Uint8Array | undefined {
  const item = exifItem(bytes, meta, primary);
  const data = item === undefined ? undefined : itemData(bytes, meta, item);
  if (!data || data.length < 4) return undefined;
  const start = 4 + u32(data, 0);
  return start < data.length ? data.subarray(start) : undefined;
}

/**
 * Reads what the container says about the primary image: its declared size, orientation, ICC
 * profile and EXIF. Throws HeifContainerError when the boxes that locate and size the image are
 * missing or malformed; a damaged EXIF item or profile is left out instead.
 */
export function readHeifContainer(bytes: Uint8Array): HeifContainer {
  const meta = [...boxes(bytes, 0, bytes.length)].find((box) => box.type === 'meta');
  if (!meta) throw new HeifContainerError('no meta box: not a HEIF still image');
  const primary = primaryItem(bytes, meta);
  const properties = itemProperties(bytes, meta, primary);
  const ispe = properties.find((property) => property.type === 'ispe');
  if (!ispe) throw new HeifContainerError('no image size (ispe) for the primary item');
  const optional = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch {
      return undefined;
    }
  };
  const iccProfile = optional(() => iccOf(bytes, properties));
  const exif = optional(() => exifOf(bytes, meta, primary));
  return {
    width: u32(bytes, ispe.start + 4),
    height: u32(bytes, ispe.start + 8),
    orientation: orientationOf(bytes, properties),
    ...(iccProfile ? { iccProfile } : {}),
    ...(exif ? { exif } : {}),
  };
}
