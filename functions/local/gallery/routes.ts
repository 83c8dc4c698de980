/**
 * The gallery's HTTP routes on the local Functions host: the page itself (plain files from
 * this folder, no build step), the list of images it polls, the bytes of inputs and
 * renditions (through this server, so the page never holds a storage key), uploads into
 * `input`, and deletes from it (which raise `BlobDeleted` like any other delete).
 *
 * - `GET /` and `GET /gallery/<file>`: the page (and the ThumbHash decoder it uses);
 * - `GET /gallery/api/images`: `GalleryEntry[]`, newest upload first;
 * - `GET /gallery/api/blob?container=<c>&name=<n>`: an input's or a rendition's bytes;
 * - `PUT /gallery/api/input?name=<n>`: the body becomes `input/<n>` (400/413 with a message);
 * - `DELETE /gallery/api/input?name=<n>`: deletes `input/<n>`.
 */
import { readFile } from 'node:fs/promises';
import type http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BlobServiceClient } from '@azure/storage-blob';
import type { Config } from '../../config.js';
import { statusOf } from '../../errors.js';
import { GalleryIndex } from './images.js';
import { uploadNameRefusal, uploadToInput, UploadRefused } from './upload.js';

/** Answers a request when it is the gallery's; resolves false when it is not. */
export type GalleryRoutes = (
  req: http.IncomingMessage,
  url: URL,
  res: http.ServerResponse,
) => Promise<boolean>;

const HERE = path.dirname(fileURLToPath(import.meta.url));

/**
 * The page's files, by URL path (relative to this folder, or absolute); nothing else on disk is
 * served. `thumbhash.js` is the ThumbHash package's own ES module, which the core encodes with:
 * the page decodes each image's placeholder with it.
 */
const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/gallery/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/gallery/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
  '/gallery/thumbhash.js': {
    file: createRequire(import.meta.url).resolve('thumbhash'),
    type: 'text/javascript; charset=utf-8',
  },
};

function send(res: http.ServerResponse, status: number, body: string, type: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), 'application/json; charset=utf-8');
}

/** The gallery's routes over the app's storage and settings. */
export function galleryRoutes(
  config: Pick<Config, 'containers' | 'image'>,
  serviceClient: BlobServiceClient,
): GalleryRoutes {
  const { input, metadata } = config.containers;
  const index = new GalleryIndex(serviceClient, { input, metadata });
  const readable = new Set([input, ...config.image.renditions.map((r) => r.container)]);
  const inputClient = serviceClient.getContainerClient(input);

  async function blob(url: URL, res: http.ServerResponse): Promise<void> {
    const container = url.searchParams.get('container') ?? '';
    const name = url.searchParams.get('name') ?? '';
    if (!readable.has(container) || uploadNameRefusal(name) !== undefined) {
      send(res, 404, 'not a blob the gallery shows', 'text/plain; charset=utf-8');
      return;
    }
    try {
      const download = await serviceClient
        .getContainerClient(container)
        .getBlobClient(name)
        .download();
      res.writeHead(200, {
        'content-type': download.contentType ?? 'application/octet-stream',
        'cache-control': 'no-store',
      });
      download.readableStreamBody?.pipe(res);
    } catch (error) {
      send(
        res,
        statusOf(error) === 404 ? 404 : 502,
        'blob not readable',
        'text/plain; charset=utf-8',
      );
    }
  }

  async function upload(req: http.IncomingMessage, url: URL, res: http.ServerResponse) {
    const name = url.searchParams.get('name') ?? '';
    try {
      await uploadToInput(req, inputClient, name, config.image.maxBytes);
      sendJson(res, 201, { name });
    } catch (error) {
      if (!(error instanceof UploadRefused)) throw error;
      // Close the connection: the rest of a refused body is not read.
      res.setHeader('connection', 'close');
      sendJson(res, error.status, { code: error.code, message: error.message });
      req.resume();
    }
  }

  async function remove(url: URL, res: http.ServerResponse): Promise<void> {
    const name = url.searchParams.get('name') ?? '';
    const refusal = uploadNameRefusal(name);
    if (refusal !== undefined)
      return sendJson(res, 400, { code: refusal.code, message: refusal.message });
    await inputClient.getBlobClient(name).deleteIfExists();
    sendJson(res, 200, { name });
  }

  return async (req, url, res) => {
    const route = `${req.method ?? 'GET'} ${url.pathname}`;
    const page = req.method === 'GET' ? FILES[url.pathname] : undefined;
    if (page !== undefined) {
      send(res, 200, await readFile(path.resolve(HERE, page.file), 'utf8'), page.type);
    } else if (route === 'GET /gallery/api/images') {
      sendJson(res, 200, await index.entries());
    } else if (route === 'GET /gallery/api/blob') {
      await blob(url, res);
    } else if (route === 'PUT /gallery/api/input') {
      await upload(req, url, res);
    } else if (route === 'DELETE /gallery/api/input') {
      await remove(url, res);
    } else {
      return false;
    }
    return true;
  };
}
