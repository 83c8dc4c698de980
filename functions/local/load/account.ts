/**
 * The load tool's account of a burst, read from storage once the run is over: each upload's
 * metadata must be for the version uploaded (else it is dead-lettered or lost), and no
 * result may have been written twice.
 */
import type { ContainerClient } from '@azure/storage-blob';
import { metadataName } from '../../../lib/naming.js';
import { unquoteETag } from '../../events.js';
import type { Upload } from './progress.js';

/** How the uploads ended. */
export interface UploadAccount {
  completed: number;
  failed: number;
  failedByCode: Record<string, number>;
  deadLettered: number;
  /** Neither a metadata document for the version uploaded nor a dead-letter record. */
  lost: number;
}

interface MetadataDocument {
  status: string;
  source: { eTag?: string };
  error?: { code: string };
}

/** Reads each upload's metadata document in `metadata` and counts how it ended. */
export async function accountUploads(
  metadata: ContainerClient,
  uploads: ReadonlyMap<string, Upload>,
  deadLettered: ReadonlySet<string>,
): Promise<UploadAccount> {
  const account: UploadAccount = {
    completed: 0,
    failed: 0,
    failedByCode: {},
    deadLettered: 0,
    lost: 0,
  };
  for (const [name, { eTag }] of uploads) {
    const record = await readMetadata(metadata, name);
    if (record !== undefined && unquoteETag(record.source.eTag ?? '') === eTag) {
      if (record.status === 'succeeded') account.completed += 1;
      else {
        account.failed += 1;
        const code = record.error?.code ?? 'UNKNOWN';
        account.failedByCode[code] = (account.failedByCode[code] ?? 0) + 1;
      }
    } else if (deadLettered.has(name)) account.deadLettered += 1;
    else account.lost += 1;
  }
  return account;
}

/** The metadata document of `name`, or undefined when there is none. */
async function readMetadata(
  metadata: ContainerClient,
  name: string,
): Promise<MetadataDocument | undefined> {
  try {
    const body = await metadata.getBlobClient(metadataName(name)).downloadToBuffer();
    return JSON.parse(body.toString('utf8')) as MetadataDocument;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    return undefined;
  }
}

/**
 * Writes storage accepted beyond the first, for blobs in `containers`: `writes` counts
 * accepted writes by `<container>/<blob>` (the fault proxy's count).
 */
export function countDuplicates(
  writes: ReadonlyMap<string, number>,
  containers: readonly string[],
): number {
  let duplicates = 0;
  for (const [key, count] of writes) {
    if (containers.includes(key.slice(0, key.indexOf('/')))) duplicates += count - 1;
  }
  return duplicates;
}
