/**
 * Uploads from the page into `input`, refused before any byte is stored when the name is
 * unsafe or the body is larger than the pipeline would read (`IMG_MAX_BYTES`): the declared
 * `Content-Length` is checked first, and the bytes are counted as they stream, so a body
 * without a length (or lying about it) is cut off before its block list is committed.
 */
import type http from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import type { ContainerClient } from '@azure/storage-blob';
import { unsafeNameDetail } from '../../blob-names.js';

/** Why an upload was refused: an HTTP status and a message for the page. */
export class UploadRefused extends Error {
  readonly code: 'UPLOAD_NAME_INVALID' | 'UPLOAD_TOO_LARGE';
  readonly status: number;
  readonly permanent = true;

  constructor(code: UploadRefused['code'], status: number, message: string) {
    super(message);
    this.name = 'UploadRefused';
    this.code = code;
    this.status = status;
  }
}

/** Why `name` may not be uploaded from the page, or undefined when it may. */
export function uploadNameRefusal(name: string): UploadRefused | undefined {
  const detail = name === '' ? 'no name' : unsafeNameDetail(name);
  if (detail === undefined) return undefined;
  return new UploadRefused(
    'UPLOAD_NAME_INVALID',
    400,
    `Refused "${name}": the name has ${detail}.`,
  );
}

function tooLarge(name: string, maxBytes: number): UploadRefused {
  return new UploadRefused(
    'UPLOAD_TOO_LARGE',
    413,
    `Refused "${name}": larger than the ${maxBytes} bytes the pipeline reads (IMG_MAX_BYTES).`,
  );
}

/** Passes bytes on until more than `maxBytes` went through, then fails the stream. */
class ByteLimit extends Transform {
  #seen = 0;

  constructor(
    readonly maxBytes: number,
    readonly refusal: () => UploadRefused,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.#seen += chunk.length;
    if (this.#seen > this.maxBytes) done(this.refusal());
    else done(null, chunk);
  }
}

/** Streams the request body to `input/<name>`; throws `UploadRefused` for what it refuses. */
export async function uploadToInput(
  req: http.IncomingMessage,
  input: ContainerClient,
  name: string,
  maxBytes: number,
): Promise<void> {
  const refusal = uploadNameRefusal(name);
  if (refusal !== undefined) throw refusal;
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (declared > maxBytes) throw tooLarge(name, maxBytes);
  const limit = new ByteLimit(maxBytes, () => tooLarge(name, maxBytes));
  let failure: unknown;
  req.once('error', (error) => limit.destroy(error));
  limit.once('error', (error) => (failure = error));
  req.pipe(limit);
  const contentType = String(req.headers['content-type'] ?? 'application/octet-stream');
  try {
    await input.getBlockBlobClient(name).uploadStream(limit, 4 * 1024 * 1024, 4, {
      blobHTTPHeaders: { blobContentType: contentType },
    });
  } catch (error) {
    throw failure ?? error;
  }
  // The SDK ends its upload when the stream ends, errored or not: commit nothing then.
  if (failure !== undefined) throw failure;
}
