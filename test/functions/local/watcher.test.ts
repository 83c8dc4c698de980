import { expect } from 'chai';
import { BLOB_CREATED, BLOB_DELETED } from '../../../functions/events.js';
import { BlobWatcher, type BlobChange, type ListedBlob } from '../../../functions/local/watcher.js';

const TOPIC = '/subscriptions/x/resourceGroups/local/providers/Microsoft.Storage/storageAccounts/a';

function blob(name: string, eTag: string | undefined, contentLength = 10): ListedBlob {
  return {
    container: 'input',
    name,
    url: `http://127.0.0.1/a/input/${encodeURIComponent(name)}`,
    eTag,
    contentLength,
    contentType: 'image/jpeg',
    blobType: 'BlockBlob',
  };
}

/** A watcher over a listing the test sets before each scan. */
function watch() {
  let listing: ListedBlob[] = [];
  const changes: BlobChange[] = [];
  let sequence = 0;
  const watcher = new BlobWatcher({
    list: async function* () {
      yield* listing;
    },
    topic: TOPIC,
    onChange: (change) => changes.push(change),
    nextSequencer: () => String((sequence += 1)).padStart(32, '0'),
  });
  const scan = async (blobs: ListedBlob[]) => {
    listing = blobs;
    changes.length = 0;
    const count = await watcher.scan();
    return { count, changes: changes.map((c) => `${c.kind} ${c.name}`), events: [...changes] };
  };
  return { watcher, scan };
}

describe('functions/local/watcher', () => {
  it('raises BlobCreated for each new blob, and nothing for a listing that did not change', async () => {
    const { watcher, scan } = watch();
    const first = await scan([blob('a.jpg', '"1"'), blob('b.jpg', '"2"')]);
    expect(first.count).to.equal(2);
    expect(first.changes).to.deep.equal(['created a.jpg', 'created b.jpg']);
    expect(first.events[0]?.event).to.deep.include({
      topic: TOPIC,
      eventType: BLOB_CREATED,
      subject: '/blobServices/default/containers/input/blobs/a.jpg',
    });
    expect(first.events[0]?.event.data).to.include({ eTag: '1', contentLength: 10 });
    expect(watcher.known).to.deep.equal(
      new Map([
        ['a.jpg', '"1"'],
        ['b.jpg', '"2"'],
      ]),
    );

    const again = await scan([blob('a.jpg', '"1"'), blob('b.jpg', '"2"')]);
    expect(again).to.deep.include({ count: 0, changes: [] });
  });

  it('raises BlobCreated again when a blob has a new eTag, with the new properties', async () => {
    const { watcher, scan } = watch();
    await scan([blob('a.jpg', '"1"')]);
    const changed = await scan([blob('a.jpg', '"2"', 99)]);
    expect(changed.changes).to.deep.equal(['created a.jpg']);
    expect(changed.events[0]?.event.data).to.include({ eTag: '2', contentLength: 99 });
    expect(watcher.known.get('a.jpg')).to.equal('"2"');
  });

  it('raises BlobDeleted for a blob gone from the listing, once, and forgets it', async () => {
    const { watcher, scan } = watch();
    await scan([blob('a.jpg', '"1"'), blob('gone.jpg', '"2"')]);
    const deleted = await scan([blob('a.jpg', '"1"')]);
    expect(deleted.changes).to.deep.equal(['deleted gone.jpg']);
    expect(deleted.events[0]?.event).to.deep.include({
      eventType: BLOB_DELETED,
      subject: '/blobServices/default/containers/input/blobs/gone.jpg',
    });
    expect(deleted.events[0]?.event.data).to.include({
      url: 'http://127.0.0.1/a/input/gone.jpg',
      api: 'DeleteBlob',
    });
    expect([...watcher.known.keys()]).to.deep.equal(['a.jpg']);
    expect((await scan([blob('a.jpg', '"1"')])).changes).to.deep.equal([]);

    const back = await scan([blob('a.jpg', '"1"'), blob('gone.jpg', '"3"')]);
    expect(back.changes).to.deep.equal(['created gone.jpg']);
  });

  it('raises nothing for a listed blob without an eTag, and does not take it for deleted', async () => {
    const { scan } = watch();
    await scan([blob('a.jpg', '"1"')]);
    const listed = await scan([blob('a.jpg', undefined), blob('new.jpg', undefined)]);
    expect(listed).to.deep.include({ count: 0, changes: [] });
  });

  it('gives each event its own, increasing sequencer', async () => {
    const { scan } = watch();
    const { events } = await scan([blob('a.jpg', '"1"'), blob('b.jpg', '"1"')]);
    const sequencers = events.map((c) => String(c.event.data.sequencer));
    expect(sequencers).to.deep.equal([...sequencers].sort());
    expect(new Set(sequencers).size).to.equal(2);
  });
});
