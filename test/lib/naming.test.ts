import { expect } from 'chai';
import { metadataName, outputName } from '../../lib/naming.js';

describe('naming', () => {
  it('keeps the name when the output format matches the extension', () => {
    expect(outputName('photos/cat.JPG', 'jpeg')).to.equal('photos/cat.JPG');
    expect(outputName('a/b.jpeg', 'jpeg')).to.equal('a/b.jpeg');
    expect(outputName('logo.png', 'png')).to.equal('logo.png');
  });

  it('changes the extension when the output format differs from the source', () => {
    expect(outputName('scan.png', 'jpeg')).to.equal('scan.jpg');
    expect(outputName('a/b/anim.gif', 'png')).to.equal('a/b/anim.png');
    expect(outputName('photo.tiff', 'jpeg')).to.equal('photo.jpg');
  });

  it('appends an extension to a name without one, even in a dotted folder', () => {
    expect(outputName('noext', 'jpeg')).to.equal('noext.jpg');
    expect(outputName('v1.2/noext', 'png')).to.equal('v1.2/noext.png');
    expect(outputName('.hidden', 'jpeg')).to.equal('.hidden.jpg');
  });

  it('names the metadata document after the full source name', () => {
    expect(metadataName('a/b.png')).to.equal('a/b.png.json');
  });
});
