import { expect } from 'chai';
import { countDuplicates } from '../../../../functions/local/load/account.js';
import { LoadProgress } from '../../../../functions/local/load/progress.js';

describe('functions/local/load: progress and account', () => {
  it('counts writes beyond the first, in result containers only', () => {
    const writes = new Map([
      ['output/a.jpg', 1],
      ['output/b.jpg', 3],
      ['metadata/b.jpg.json', 2],
      ['input/a.jpg', 5],
    ]);
    expect(countDuplicates(writes, ['output', 'thumbnails', 'metadata'])).to.equal(3);
  });

  it('accounts for an upload once its metadata is written or it is dead-lettered', () => {
    const progress = new LoadProgress();
    for (const name of ['a.jpg', 'b.jpg', 'c.jpg']) {
      progress.expect(name);
      progress.uploaded(name, 'etag');
    }
    progress.metadataWritten('a.jpg.json');
    progress.metadataWritten('a.jpg.json');
    progress.metadataWritten('unrelated.json');
    progress.deadLetter('b.jpg');
    expect(progress.accounted()).to.equal(2);
    expect(progress.latencies()).to.have.length(1);
    expect(progress.latencies()[0]).to.be.at.least(0);
  });
});
