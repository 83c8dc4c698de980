import { BlobServiceClient } from '@azure/storage-blob';
import { expect } from 'chai';
import { azuriteConnectionString } from '../../../../functions/local/azurite.js';
import {
  firstN,
  startFaultProxy,
  type FaultProxy,
  type ProxiedRequest,
  type StorageAnswer,
} from '../../../../functions/local/load/proxy.js';
import { useAzurite } from '../../../helpers/azurite.js';

describe('functions/local/load/proxy', () => {
  const storage = useAzurite();
  let proxy: FaultProxy;

  const client = (maxTries: number) =>
    BlobServiceClient.fromConnectionString(azuriteConnectionString(proxy.port), {
      retryOptions: { maxTries, retryDelayInMs: 10, maxRetryDelayInMs: 20 },
    }).getContainerClient('proxied');

  before(async () => {
    proxy = await startFaultProxy(storage.port);
    await client(1).createIfNotExists();
  });
  after(() => proxy.close());
  afterEach(() => proxy.setRule(undefined));

  it('passes requests through to storage and counts the writes storage accepted', async () => {
    await client(1).getBlockBlobClient('a.txt').uploadData(Buffer.from('one'));
    await client(1).getBlockBlobClient('a.txt').uploadData(Buffer.from('two'));
    const body = await client(1).getBlobClient('a.txt').downloadToBuffer();
    expect(body.toString()).to.equal('two');
    expect(proxy.writes.get('proxied/a.txt')).to.equal(2);
  });

  it('answers injected 503s, which the SDK retries through', async () => {
    proxy.setRule(firstN(2, '503', (r) => r.operation === 'upload'));
    await client(3).getBlockBlobClient('b.txt').uploadData(Buffer.from('b'));
    expect(proxy.injected.get('503 upload')).to.equal(2);
  });

  it('answers an injected 429 with Retry-After, which reaches the caller', async () => {
    proxy.setRule(firstN(1, '429', (r) => r.operation === 'download'));
    const blob = client(3).getBlobClient('b.txt');
    const error = await blob.downloadToBuffer().catch((e: unknown) => e);
    expect(error).to.have.property('statusCode', 429);
    expect((await blob.downloadToBuffer()).toString()).to.equal('b');
    expect(proxy.injected.get('429 download')).to.equal(1);
  });

  it('applies a write whose response it then loses, as a timed-out request would', async () => {
    proxy.setRule(firstN(1, 'lost-response', (r) => r.operation === 'upload'));
    const error = await client(1)
      .getBlockBlobClient('c.txt')
      .uploadData(Buffer.from('c'))
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(Error);
    const body = await storage.serviceClient
      .getContainerClient('proxied')
      .getBlobClient('c.txt')
      .downloadToBuffer();
    expect(body.toString()).to.equal('c');
  });

  it("tells observers each request with storage's answer, and listens on the port asked", async () => {
    const seen: [ProxiedRequest, StorageAnswer][] = [];
    const stop = proxy.observe((request, answer) => seen.push([request, answer]));
    const upload = await client(1).getBlockBlobClient('d e.txt').uploadData(Buffer.from('d'));
    stop();
    await client(1).getBlockBlobClient('d e.txt').uploadData(Buffer.from('again'));
    expect(seen).to.have.length(1);
    const [request, answer] = seen[0]!;
    expect(request).to.deep.include({
      method: 'PUT',
      account: 'devstoreaccount1',
      container: 'proxied',
      blob: 'd e.txt',
      path: '/devstoreaccount1/proxied/d%20e.txt',
    });
    expect(request.headers['x-ms-blob-type']).to.equal('BlockBlob');
    expect(answer).to.deep.include({ status: 201 });
    expect(answer.headers.etag).to.equal(upload.etag);

    const fixed = await startFaultProxy(storage.port, { port: 0 });
    const taken = startFaultProxy(storage.port, { port: fixed.port });
    await taken.then(
      () => expect.fail('a second proxy on the same port must not start'),
      (error: unknown) => expect(error).to.have.property('code', 'EADDRINUSE'),
    );
    await fixed.close();
  });
});
