/**
 * The gallery's routes over a real Azurite, without a browser: what the page relies on and
 * what it must never get (bytes of containers it does not show, names that escape `input`,
 * bodies over the limit, however they are sent).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { galleryRoutes } from '../../../../functions/local/gallery/routes.js';
import type { Config } from '../../../../functions/config.js';
import { useAzurite } from '../../../helpers/azurite.js';
import { createContainers, testConfig } from '../../support.js';

const MAX_BYTES = 1000;

interface Reply {
  status: number;
  body: string;
}

describe('functions/local/gallery/routes', () => {
  const azurite = useAzurite();
  let server: http.Server;
  let base: string;
  let config: Config;

  before(async () => {
    config = testConfig(azurite.connectionString, 'galr', { IMG_MAX_BYTES: String(MAX_BYTES) });
    await createContainers(azurite.serviceClient, config);
    const routes = galleryRoutes(config, azurite.serviceClient);
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      void routes(req, url, res).then((answered) => {
        if (!answered) res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Sends `chunks` one by one, without a Content-Length (chunked). */
  function sendChunked(path: string, chunks: Buffer[]): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = http.request(`${base}${path}`, { method: 'PUT' }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (text: string) => (body += text));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      for (const chunk of chunks) req.write(chunk);
      req.end();
    });
  }

  const input = () => azurite.serviceClient.getContainerClient(config.containers.input);

  it('stores an upload under its folder and lists it as pending until processed', async () => {
    const put = await fetch(`${base}/gallery/api/input?name=${encodeURIComponent('a/b.png')}`, {
      method: 'PUT',
      body: Buffer.alloc(10, 1),
    });
    expect(put.status).to.equal(201);
    const entries = (await (await fetch(`${base}/gallery/api/images`)).json()) as {
      name: string;
      status: string;
    }[];
    expect(entries.find((e) => e.name === 'a/b.png')?.status).to.equal('pending');
    const bytes = await fetch(
      `${base}/gallery/api/blob?container=${config.containers.input}&name=a%2Fb.png`,
    );
    expect(Buffer.from(await bytes.arrayBuffer())).to.deep.equal(Buffer.alloc(10, 1));
  });

  it('refuses a body over IMG_MAX_BYTES sent without a Content-Length, committing nothing', async () => {
    const reply = await sendChunked('/gallery/api/input?name=chunked.jpg', [
      Buffer.alloc(600),
      Buffer.alloc(600),
    ]);
    expect(reply.status).to.equal(413);
    expect(JSON.parse(reply.body)).to.include({ code: 'UPLOAD_TOO_LARGE' });
    expect(await input().getBlobClient('chunked.jpg').exists()).to.equal(false);
  });

  it('refuses names with "..", empty segments or backslashes, naming what is wrong', async () => {
    for (const [name, detail] of [
      ['../output/x.jpg', '".."'],
      ['a//b.jpg', 'empty path segment'],
      ['a\\b.jpg', 'backslash'],
    ] as const) {
      const reply = await fetch(`${base}/gallery/api/input?name=${encodeURIComponent(name)}`, {
        method: 'PUT',
        body: 'x',
      });
      expect(reply.status).to.equal(400);
      expect(((await reply.json()) as { message: string }).message).to.contain(detail);
    }
  });

  it('serves no bytes from containers the gallery does not show, nor names that escape them', async () => {
    const deadletter = await fetch(
      `${base}/gallery/api/blob?container=${config.containers.deadletter}&name=x.json`,
    );
    expect(deadletter.status).to.equal(404);
    const escape = await fetch(
      `${base}/gallery/api/blob?container=${config.containers.input}&name=..%2Fgalr-metadata%2Fx`,
    );
    expect(escape.status).to.equal(404);
  });

  it('deletes an input, and answers 404 for routes that are not its own', async () => {
    await input().getBlockBlobClient('gone.jpg').uploadData(Buffer.alloc(3));
    const reply = await fetch(`${base}/gallery/api/input?name=gone.jpg`, { method: 'DELETE' });
    expect(reply.status).to.equal(200);
    expect(await input().getBlobClient('gone.jpg').exists()).to.equal(false);
    expect((await fetch(`${base}/gallery/nothing.txt`)).status).to.equal(404);
  });
});
