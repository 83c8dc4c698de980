import { expect } from 'chai';
import { readJpegMarkers } from '../../../lib/jpeg/markers.js';

/** A marker segment: 0xFF, the marker, a length counting itself, the payload. */
function segment(marker: number, payload: number[]): number[] {
  const length = payload.length + 2;
  return [0xff, marker, length >> 8, length & 255, ...payload];
}

const SOI = [0xff, 0xd8];
const SOF0 = segment(0xc0, [8, 0, 16, 0, 16, 1, 1, 0x11, 0]);
const SOS = segment(0xda, [1, 1, 0, 0, 63, 0]);

describe('jpeg/markers: the one marker walk', () => {
  it('lists the segments up to the first scan, and where its data starts', () => {
    const app0 = segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0]);
    const bytes = Uint8Array.from([...SOI, ...app0, ...SOF0, ...SOS, 1, 2, 3, 0xff, 0xd9]);
    const markers = readJpegMarkers(bytes);
    expect(markers.segments.map((s) => s.marker)).to.deep.equal([0xe0, 0xc0, 0xda]);
    expect(markers.end).to.equal('end');
    expect(markers.scanDataOffset).to.equal(2 + app0.length + SOF0.length + SOS.length);
    expect([...markers.segments[1]!.body]).to.deep.equal(SOF0.slice(4));
  });

  it('skips junk and fill bytes between segments, as libjpeg does', () => {
    const bytes = Uint8Array.from([...SOI, 0x00, 0x13, 0xff, 0xff, ...SOF0, ...SOS]);
    expect(readJpegMarkers(bytes).segments.map((s) => s.marker)).to.deep.equal([0xc0, 0xda]);
  });

  it('stops the strict reading at a length below 2, but still finds the scan past it', () => {
    const bytes = Uint8Array.from([...SOI, ...SOF0, 0xff, 0xe1, 0x00, 0x01, ...SOS, 0xff, 0xd9]);
    const markers = readJpegMarkers(bytes);
    expect(markers.segments.map((s) => s.marker)).to.deep.equal([0xc0]);
    expect(markers.end).to.equal('bad-length');
    expect(markers.scanDataOffset).to.equal(bytes.length - 2);
  });

  it('ends the strict reading at a stray end-of-image marker, and reads past it for the scan', () => {
    const bytes = Uint8Array.from([...SOI, ...SOF0, 0xff, 0xd9, 0x00, 0x02, ...SOS]);
    const markers = readJpegMarkers(bytes);
    expect(markers.segments.map((s) => s.marker)).to.deep.equal([0xc0, 0xd9]);
    expect(markers.end).to.equal('end');
    expect(markers.scanDataOffset).to.equal(bytes.length);
  });

  it('says when the data ends inside a segment header, with no scan', () => {
    const markers = readJpegMarkers(Uint8Array.from([...SOI, ...SOF0, 0xff, 0xdb, 0x00]));
    expect(markers.end).to.equal('truncated');
    expect(markers.scanDataOffset).to.equal(-1);
  });
});
