import { expect } from 'chai';
import { readTiffHeader, readTiffIfd, tiffEntries } from '../../lib/tiff-ifd.js';

/** A little-endian TIFF with one directory at offset 8 holding `entries` (tag, type, count, value). */
function tiff(entries: [number, number, number, number][], declared = entries.length): Uint8Array {
  const bytes = new Uint8Array(8 + 2 + entries.length * 12 + 4);
  const view = new DataView(bytes.buffer);
  bytes.set([0x49, 0x49, 42, 0]);
  view.setUint32(4, 8, true);
  view.setUint16(8, declared, true);
  entries.forEach(([tag, type, count, value], i) => {
    const at = 10 + i * 12;
    view.setUint16(at, tag, true);
    view.setUint16(at + 2, type, true);
    view.setUint32(at + 4, count, true);
    view.setUint32(at + 8, value, true);
  });
  return bytes;
}

describe('tiff-ifd: the one TIFF directory reader', () => {
  it('reads the entries, with values inside the entry when they fit in 4 bytes', () => {
    const bytes = tiff([
      [256, 3, 1, 640],
      [34675, 7, 500, 4000],
    ]);
    const header = readTiffHeader(bytes)!;
    const ifd = readTiffIfd(header, header.firstIfd)!;
    expect(ifd).to.include({ declared: 2, complete: true, next: 0 });
    const [width, icc] = [...tiffEntries(header, ifd)];
    expect(width).to.include({ tag: 256, count: 1, size: 2, valueOffset: 18 });
    expect(icc).to.include({ tag: 34675, count: 500, size: 500, valueOffset: 4000 });
  });

  it('reads only the entries that lie within the data when a directory declares more', () => {
    const bytes = tiff([[256, 3, 1, 640]], 65535);
    const header = readTiffHeader(bytes)!;
    const ifd = readTiffIfd(header, 8)!;
    expect(ifd).to.include({ declared: 65535, complete: false, next: undefined });
    expect([...tiffEntries(header, ifd)]).to.have.length(1);
  });

  it('has no directory where not even its entry count lies within the data', () => {
    const header = readTiffHeader(tiff([]))!;
    expect(readTiffIfd(header, 1 << 30)).to.equal(undefined);
    expect(readTiffIfd(header, -4)).to.equal(undefined);
    expect(readTiffHeader(new Uint8Array(7))).to.equal(undefined);
  });

  it('leaves the value offset of an unknown field type undefined', () => {
    const bytes = tiff([[999, 77, 1, 0]]);
    const header = readTiffHeader(bytes)!;
    const [entry] = [...tiffEntries(header, readTiffIfd(header, 8)!)];
    expect(entry).to.include({ size: undefined, valueOffset: undefined });
  });
});
