/**
 * The pipeline's promises, checked on the containers after a run:
 * 1. nothing lost: every input blob ends with complete results for its current version, a
 *    failure record for it, or a dead-letter record of its event;
 * 2. exactly-once effects: every result (output, thumbnail, metadata) belongs to the current
 *    version of its source (eTag and SHA-256), a complete set is never mixed from versions, and
 *    no result outlives its source.
 */
import { createHash } from 'node:crypto';
import type { BlobServiceClient } from '@azure/storage-blob';
import type { Config } from '../../functions/config.js';
import { unquoteETag } from '../../functions/events.js';
import { metadataLocation } from '../../functions/blob-names.js';
import { readLink } from '../../functions/results.js';
import type { MetadataRecord } from '../../lib/types.js';

/** What became of each input blob. */
export interface Accounting {
  succeeded: string[];
  failed: Map<string, string>;
  deadLettered: string[];
  /** Broken promises, one line each; empty when every promise holds. */
  violations: string[];
}

interface Source {
  eTag: string;
  sha256: string;
}

async function sources(client: BlobServiceClient, config: Config): Promise<Map<string, Source>> {
  const input = client.getContainerClient(config.containers.input);
  const found = new Map<string, Source>();
  for await (const item of input.listBlobsFlat()) {
    const bytes = await input.getBlobClient(item.name).downloadToBuffer();
    found.set(item.name, {
      eTag: unquoteETag(item.properties.etag ?? ''),
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
  }
  return found;
}

async function deadLetteredVersions(
  client: BlobServiceClient,
  config: Config,
): Promise<Set<string>> {
  const container = client.getContainerClient(config.containers.deadletter);
  const versions = new Set<string>();
  if (!(await container.exists())) return versions;
  for await (const item of container.listBlobsFlat()) {
    const body = await container.getBlobClient(item.name).downloadToBuffer();
    for (const event of JSON.parse(body.toString('utf8')) as {
      subject: string;
      data: { eTag?: string };
    }[]) {
      const name = event.subject.replace(/^.*?\/blobs\//, '');
      versions.add(`${name} ${unquoteETag(event.data.eTag ?? '')}`);
    }
  }
  return versions;
}

/** Checks promises 1 and 2 on the containers of `config`. */
export async function account(client: BlobServiceClient, config: Config): Promise<Accounting> {
  const { containers } = config;
  const current = await sources(client, config);
  const dead = await deadLetteredVersions(client, config);
  const result: Accounting = { succeeded: [], failed: new Map(), deadLettered: [], violations: [] };
  const metadata = client.getContainerClient(containers.metadata);

  for (const [name, source] of current) {
    let record: MetadataRecord | undefined;
    try {
      const body = await metadata.getBlobClient(metadataLocation(name)).downloadToBuffer();
      record = JSON.parse(body.toString('utf8')) as MetadataRecord;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    }
    const recordETag = unquoteETag(record?.source.eTag ?? '');
    if (record !== undefined && recordETag === source.eTag) {
      if (record.source.sha256 !== undefined && record.source.sha256 !== source.sha256) {
        result.violations.push(
          `${name}: metadata has the eTag of the current version but not its bytes`,
        );
      }
      if (record.status === 'succeeded') result.succeeded.push(name);
      else result.failed.set(name, String(record.error.code));
    } else if (dead.has(`${name} ${source.eTag}`)) {
      result.deadLettered.push(name);
    } else {
      result.violations.push(
        record === undefined
          ? `${name}: LOST (no metadata, no dead-letter record)`
          : `${name}: metadata is for eTag ${recordETag}, the blob is at ${source.eTag}`,
      );
    }
  }

  // Every result blob must belong to the current version of an existing source.
  const successByName = new Set(result.succeeded);
  const linked = new Map<string, string[]>();
  for (const container of [containers.output, containers.thumbnails, containers.metadata]) {
    const client_ = client.getContainerClient(container);
    for await (const item of client_.listBlobsFlat({ includeMetadata: true })) {
      const link = readLink(item.metadata);
      const source = link.name === undefined ? undefined : current.get(link.name);
      const where = `${container}/${item.name}`;
      if (link.name === undefined) {
        result.violations.push(`${where}: result without a source link`);
      } else if (source === undefined) {
        result.violations.push(`${where}: result of ${link.name}, which no longer exists`);
      } else if (unquoteETag(link.eTag ?? '') !== source.eTag) {
        result.violations.push(
          `${where}: made from eTag ${link.eTag}, source is at ${source.eTag}`,
        );
      } else if (link.sha256 !== undefined && link.sha256 !== source.sha256) {
        result.violations.push(`${where}: made from other bytes than the source's`);
      } else {
        linked.set(link.name, [...(linked.get(link.name) ?? []), container]);
      }
    }
  }
  // A succeeded record promises a complete set: output, thumbnail and metadata, same version.
  for (const name of successByName) {
    const have = linked.get(name) ?? [];
    for (const container of [containers.output, containers.thumbnails, containers.metadata]) {
      if (!have.includes(container)) {
        result.violations.push(`${name}: marked complete but ${container} has no current result`);
      }
    }
  }
  return result;
}
