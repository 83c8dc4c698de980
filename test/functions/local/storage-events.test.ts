/**
 * Events raised from the storage traffic the recording proxy sees (functions/local/
 * storage-events.ts), against a real Azurite through the real SDK: only data commits raise
 * BlobCreated, with the eTag storage answered; metadata and property changes raise nothing.
 */
import { expect } from 'chai';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { unquoteETag } from '../../../functions/events.js';
import { azuriteConnectionString } from '../../../functions/local/azurite.js';
import type { EventGridStorageEvent } from '../../../functions/local/events.js';
import { startFaultProxy, type FaultProxy } from '../../../functions/local/load/proxy.js';
import {
  blobPropertiesReader,
  StorageEventSource,
} from '../../../functions/local/storage-events.js';
import { useAzurite } from '../../helpers/azurite.js';
import { fixture } from '../support.js';

const INPUT = 'events-input';
const PHOTO = 'jpeg/camera-exif-gps.jpg';

describe('functions/local/storage-events (recording proxy in front of Azurite)', function () {
  this.timeout(60_000);
  const azurite = useAzurite();
  let proxy: FaultProxy;
  let source: StorageEventSource;
  let input: ContainerClient;
  /** A container whose name begins with the input's: the subscription's filter excludes it. */
  let archive: ContainerClient;
  let events: EventGridStorageEvent[];
  let unobserve: () => void;

  before(async () => {
    proxy = await startFaultProxy(azurite.port);
    const client = BlobServiceClient.fromConnectionString(azuriteConnectionString(proxy.port));
    input = client.getContainerClient(INPUT);
    await input.createIfNotExists();
    archive = client.getContainerClient(`${INPUT}-archive`);
    await archive.createIfNotExists();
  });
  after(() => proxy.close());

  beforeEach(() => {
    events = [];
    source = new StorageEventSource({
      inputContainer: INPUT,
      endpoint: `http://127.0.0.1:${proxy.port}`,
      properties: blobPropertiesReader(azurite.serviceClient),
      onEvent: (change) => events.push(change.event),
    });
    unobserve = proxy.observe(source.observer);
    source.start();
  });
  afterEach(() => unobserve());

  /** The events raised for every request made so far. */
  async function raised(): Promise<EventGridStorageEvent[]> {
    await source.settled();
    return events;
  }

  it('raises BlobCreated for PutBlob with the eTag, length, type and URL of that commit', async () => {
    const bytes = fixture(PHOTO);
    const blob = input.getBlockBlobClient('dir/put one.jpg');
    const response = await blob.uploadData(bytes, {
      blobHTTPHeaders: { blobContentType: 'image/jpeg' },
    });
    const [event, ...more] = await raised();
    expect(more).to.deep.equal([]);
    expect(event).to.deep.include({
      subject: `/blobServices/default/containers/${INPUT}/blobs/dir/put one.jpg`,
      eventType: 'Microsoft.Storage.BlobCreated',
      topic:
        '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local/providers/Microsoft.Storage/storageAccounts/devstoreaccount1',
    });
    expect(event?.data).to.deep.include({
      api: 'PutBlob',
      eTag: unquoteETag(response.etag ?? ''),
      contentLength: bytes.length,
      contentType: 'image/jpeg',
      blobType: 'BlockBlob',
      url: blob.url,
      requestId: response.requestId,
    });
  });

  it('raises BlobCreated for PutBlockList (not for the blocks) and CopyBlob, with lengths read from storage', async () => {
    const bytes = fixture(PHOTO);
    const staged = input.getBlockBlobClient('blocks.jpg');
    await staged.uploadData(bytes, { blockSize: 8_192, maxSingleShotSize: 8_192 });
    const copy = input.getBlockBlobClient('copy.jpg');
    const copied = await copy.syncCopyFromURL(staged.url);
    const [blockList, copyEvent, ...more] = await raised();
    expect(more).to.deep.equal([]);
    const committed = await staged.getProperties();
    expect(blockList?.data).to.deep.include({
      api: 'PutBlockList',
      eTag: unquoteETag(committed.etag ?? ''),
      contentLength: bytes.length,
    });
    expect(copyEvent?.data).to.deep.include({
      api: 'CopyBlob',
      eTag: unquoteETag(copied.etag ?? ''),
      contentLength: bytes.length,
      url: copy.url,
    });
    expect(String(copyEvent?.data.sequencer) > String(blockList?.data.sequencer)).to.equal(true);
  });

  it('raises nothing for Set Blob Metadata, Set Blob Properties or a tier change', async () => {
    const blob = input.getBlockBlobClient('retagged.jpg');
    await blob.uploadData(fixture(PHOTO));
    await source.settled();
    events.length = 0;
    const changed = await blob.setMetadata({ reviewed: 'yes' });
    await blob.setHTTPHeaders({ blobContentType: 'image/jpeg' });
    await blob.setAccessTier('Cool');
    expect(changed.etag).to.not.equal(undefined);
    expect(await raised()).to.deep.equal([]);
  });

  it('raises BlobDeleted for DeleteBlob, and nothing for other containers or failed requests', async () => {
    const blob = input.getBlockBlobClient('gone.jpg');
    await blob.uploadData(fixture(PHOTO));
    await source.settled();
    events.length = 0;
    await blob.delete();
    await input.getBlobClient('never-there.jpg').deleteIfExists();
    await archive.getBlockBlobClient('x.jpg').uploadData(fixture(PHOTO));
    const [event, ...more] = await raised();
    expect(more).to.deep.equal([]);
    expect(event).to.deep.include({
      eventType: 'Microsoft.Storage.BlobDeleted',
      subject: `/blobServices/default/containers/${INPUT}/blobs/gone.jpg`,
    });
    expect(event?.data).to.deep.include({ api: 'DeleteBlob' });
    expect(event?.data).to.not.have.property('eTag');
  });
});
