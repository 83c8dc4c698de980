import { expect } from 'chai';
import { BlobRunClaims, claimBlobName } from '../../functions/run-claims.js';
import { useAzurite } from '../helpers/azurite.js';

describe('functions/run-claims: one run per name across instances (against Azurite)', () => {
  const azurite = useAzurite();
  const container = () => azurite.serviceClient.getContainerClient('claims');
  // Two instances: two claim stores over the same container.
  const first = () => new BlobRunClaims(container());
  const second = () => new BlobRunClaims(container());

  before(async () => {
    await container().createIfNotExists();
  });

  it('gives a name to one instance at a time, and to the next once released', async () => {
    const held = await first().claim('photos/a.jpg');
    expect(held).to.not.equal(undefined);
    expect(await second().claim('photos/a.jpg'), 'held by the first').to.equal(undefined);
    const other = await second().claim('photos/b.jpg');
    expect(other, 'another name is free').to.not.equal(undefined);
    await held?.release();
    await other?.release();
    const next = await second().claim('photos/a.jpg');
    expect(next, 'free again once released').to.not.equal(undefined);
    await next?.release();
  });

  it('leaves no claim blob behind once released', async () => {
    const held = await first().claim('tidy.jpg');
    const blob = container().getBlobClient(claimBlobName('tidy.jpg'));
    expect(await blob.exists()).to.equal(true);
    await held?.release();
    expect(await blob.exists()).to.equal(false);
  });

  it('takes over a claim blob whose holder died without removing it (its lease gone)', async () => {
    // What a dead instance leaves once its lease expires: the blob, with no lease on it.
    await container().getBlockBlobClient(claimBlobName('orphan.jpg')).upload('', 0);
    const held = await first().claim('orphan.jpg');
    expect(held).to.not.equal(undefined);
    await held?.release();
  });

  it('names claims by a fixed-length hash, whatever the input name', () => {
    expect(claimBlobName('x'.repeat(1000))).to.match(/^[0-9a-f]{64}\.claim$/);
    expect(claimBlobName('a.jpg')).to.not.equal(claimBlobName('b.jpg'));
  });
});
