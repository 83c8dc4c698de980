/**
 * Accounts for every blob in `input`: does it have complete results or a failure record
 * for its current eTag? Used by `npm start -- --once` and by load and fault tests.
 */
import type { BlobServiceClient } from '@azure/storage-blob';
import type { MetadataRecord } from '../../lib/types.js';
import type { Config } from '../config.js';
import { unquoteETag } from '../events.js';
import { metadataLocation } from '../blob-names.js';

/** The state of the containers after a run. */
export interface ResultsReport {
  /** Input blobs whose metadata says `succeeded` for their current eTag. */
  complete: number;
  /** Input blobs whose metadata is a failure record for their current eTag. */
  failed: number;
  /** Dead-letter records in the dead-letter container. */
  deadLettered: number;
  /** Input blobs without a metadata document for their current eTag. */
  missing: string[];
  /** The metadata record of each input blob that has one for its current eTag. */
  records: Map<string, MetadataRecord>;
}

/** Reads every input blob's metadata document and checks it is for the blob's current eTag. */
export async function verifyResults(
  serviceClient: BlobServiceClient,
  config: Config,
): Promise<ResultsReport> {
  const { containers } = config;
  const input = serviceClient.getContainerClient(containers.input);
  const metadata = serviceClient.getContainerClient(containers.metadata);
  const report: ResultsReport = {
    complete: 0,
    failed: 0,
    deadLettered: 0,
    missing: [],
    records: new Map(),
  };
  for await (const item of input.listBlobsFlat()) {
    const record = await readRecord(metadata.getBlobClient(metadataLocation(item.name)));
    const eTag = item.properties.etag;
    if (
      record === undefined ||
      eTag === undefined ||
      unquoteETag(record.source.eTag ?? '') !== unquoteETag(eTag)
    ) {
      report.missing.push(item.name);
      continue;
    }
    report.records.set(item.name, record);
    if (record.status === 'succeeded') report.complete += 1;
    else report.failed += 1;
  }
  const deadletter = serviceClient.getContainerClient(containers.deadletter);
  if (await deadletter.exists()) {
    for await (const item of deadletter.listBlobsFlat()) {
      if (item.name.endsWith('.json')) report.deadLettered += 1;
    }
  }
  return report;
}

async function readRecord(
  blob: ReturnType<ReturnType<BlobServiceClient['getContainerClient']>['getBlobClient']>,
): Promise<MetadataRecord | undefined> {
  try {
    const buffer = await blob.downloadToBuffer();
    return JSON.parse(buffer.toString('utf8')) as MetadataRecord;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw error;
  }
}
