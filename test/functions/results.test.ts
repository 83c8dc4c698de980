import { expect } from 'chai';
import {
  metadataLocation,
  nameRefusal,
  refusedNameRecordName,
  resultNamesFit,
  unsafeNameDetail,
} from '../../functions/blob-names.js';
import { readLink, removeResult, writeResult } from '../../functions/results.js';
import { useAzurite } from '../helpers/azurite.js';

const seq = (n: number): string => n.toString(16).toUpperCase().padStart(32, '0');
const body = (text: string): Uint8Array => new TextEncoder().encode(text);

describe("functions/results: names over Azure's 1,024-character limit", () => {
  it('lets a 1,019-character name through: its metadata name is exactly 1,024 characters', () => {
    const name = `a/${'x'.repeat(1013)}.jpg`;
    expect(name).to.have.length(1019);
    expect(resultNamesFit(name)).to.equal(true);
    expect(metadataLocation(name)).to.equal(`${name}.json`);
  });

  it('refuses a 1,020-character name, with or without an extension', () => {
    expect(resultNamesFit(`a/${'x'.repeat(1014)}.jpg`)).to.equal(false);
    // No extension: the output gains ".jpg" (1,024 characters), the metadata ".json" (1,025).
    expect(resultNamesFit(`a/${'x'.repeat(1013)}`)).to.equal(true);
    expect(resultNamesFit(`a/${'x'.repeat(1018)}`)).to.equal(false);
  });

  it('counts characters of the name, not bytes of its URL-encoded form', () => {
    // 1,019 "é": 2,038 bytes in UTF-8, 6,114 once percent-encoded, still 1,019 characters.
    expect(resultNamesFit('é'.repeat(1019))).to.equal(true);
    expect(resultNamesFit('é'.repeat(1020))).to.equal(false);
  });

  it('puts the failure record of a long name under _long-names/, named by its SHA-256', () => {
    const name = 'y'.repeat(1500);
    const record = metadataLocation(name);
    expect(record).to.equal(refusedNameRecordName(name));
    expect(record).to.match(/^_long-names\/[0-9a-f]{64}\.json$/);
    expect(record).to.not.equal(metadataLocation(`${name}z`));
  });
});

describe('functions/blob-names: names never used as paths', () => {
  it('refuses empty, "." and ".." segments, backslashes and control characters', () => {
    for (const name of [
      '../output/x.jpg',
      'a/../b.jpg',
      'a/./b.jpg',
      '/a.jpg',
      'a//b.jpg',
      'a/',
      'a\\b.jpg',
      'a\u0000.jpg',
      '..',
      '.',
    ]) {
      expect(unsafeNameDetail(name), name).to.be.a('string');
      expect(nameRefusal(name)?.code, name).to.equal('NAME_INVALID');
      expect(metadataLocation(name), name).to.match(/^_invalid-names\/[0-9a-f]{64}\.json$/);
    }
  });

  it('accepts dots inside names, spaces, unicode and folders', () => {
    for (const name of [
      'a.b.jpg',
      '...jpg',
      'photos/2026/ünï côdé.jpg',
      'a..b/c.jpg',
      '.hidden.jpg',
    ]) {
      expect(unsafeNameDetail(name), name).to.equal(undefined);
      expect(nameRefusal(name), name).to.equal(undefined);
    }
  });
});

describe('functions/results (against Azurite)', function () {
  this.timeout(60_000);
  const azurite = useAzurite();
  const container = () => azurite.serviceClient.getContainerClient('results');

  before(async () => {
    await container().createIfNotExists();
  });

  async function content(name: string): Promise<string> {
    return (await container().getBlobClient(name).downloadToBuffer()).toString();
  }

  it('never replaces a result made from a newer version of the source with an older one', async () => {
    const blob = container().getBlockBlobClient('order.jpg');
    const newer = { name: 'a.jpg', eTag: '"new"', sequencer: seq(20) };
    const older = { name: 'a.jpg', eTag: '"old"', sequencer: seq(10) };
    expect(
      (await writeResult(blob, body('new'), { contentType: 'image/jpeg' }, newer)).status,
    ).to.equal('written');
    expect(
      await writeResult(blob, body('old'), { contentType: 'image/jpeg' }, older),
    ).to.deep.equal({
      status: 'stale',
    });
    expect(await content('order.jpg')).to.equal('new');
  });

  it('reports a rewrite of the same source version as unchanged, keeping the blob as is', async () => {
    const blob = container().getBlockBlobClient('same.jpg');
    const link = { name: 'b.jpg', eTag: '"v1"', sequencer: seq(1), sha256: 'ab'.repeat(32) };
    const first = await writeResult(blob, body('one'), { contentType: 'image/jpeg' }, link);
    const second = await writeResult(blob, body('one'), { contentType: 'image/jpeg' }, link);
    expect(second).to.deep.equal({
      status: 'unchanged',
      etag: first.status === 'written' ? first.etag : '',
    });
    const props = await blob.getProperties();
    expect(readLink(props.metadata)).to.deep.equal(link);
  });

  it('ends with the newest version when many versions race to write the same result', async () => {
    const blob = container().getBlockBlobClient('race.jpg');
    const versions = [7, 3, 9, 1, 5, 8, 2];
    await Promise.all(
      versions.map((n) =>
        writeResult(
          blob,
          body(`v${n}`),
          { contentType: 'image/jpeg' },
          {
            name: 'race.jpg',
            eTag: `"${n}"`,
            sequencer: seq(n),
          },
        ),
      ),
    );
    expect(await content('race.jpg')).to.equal('v9');
  });

  it('deletes only results of the named source older than the delete', async () => {
    const blob = container().getBlockBlobClient('del.jpg');
    await writeResult(
      blob,
      body('x'),
      { contentType: 'image/jpeg' },
      {
        name: 'd.jpg',
        eTag: '"d"',
        sequencer: seq(5),
      },
    );
    expect(await removeResult(blob, { name: 'other.jpg', sequencer: seq(9) })).to.equal(false);
    expect(await removeResult(blob, { name: 'd.jpg', sequencer: seq(4) })).to.equal(false);
    expect(await removeResult(blob, { name: 'd.jpg', eTag: '"nope"' })).to.equal(false);
    expect(await removeResult(blob, { name: 'd.jpg', sequencer: seq(6) })).to.equal(true);
    expect(await blob.exists()).to.equal(false);
  });
});
