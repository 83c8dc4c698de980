import { expect } from 'chai';
import { metadataName } from '../../lib/naming.js';

describe('naming', () => {
  it('names the metadata document after the full source name', () => {
    expect(metadataName('a/b.png')).to.equal('a/b.png.json');
  });

  it('gives sources that differ only in extension metadata documents of their own', () => {
    expect(metadataName('dup/scan.jpg')).to.not.equal(metadataName('dup/scan.png'));
  });
});
