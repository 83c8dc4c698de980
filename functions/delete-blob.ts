/**
 * BlobDeleted: remove the results of a deleted input, so the containers stay consistent.
 * Only results made from that blob at a version older than the delete are removed; results
 * of a newer upload under the same name stay.
 */
import type { BlobServiceClient } from '@azure/storage-blob';
import { metadataName, outputName } from '../lib/naming.js';
import type { ContainerNames } from './config.js';
import { removeResult } from './results.js';

/** Every place a result of `sourceName` can be, metadata first. */
export function resultLocations(
  containers: ContainerNames,
  sourceName: string,
): { container: string; name: string }[] {
  const outputs = [...new Set([outputName(sourceName, 'jpeg'), outputName(sourceName, 'png')])];
  return [
    // The metadata document goes first: its presence means the results are complete.
    { container: containers.metadata, name: metadataName(sourceName) },
    ...outputs.map((name) => ({ container: containers.output, name })),
    ...outputs.map((name) => ({ container: containers.thumbnails, name })),
  ];
}

/**
 * Deletes the results of `sourceName` that were made before the event with `sequencer`
 * (or exactly from source eTag `eTag`). Returns the `container/name` of each removed blob.
 */
export async function deleteResults(
  serviceClient: BlobServiceClient,
  containers: ContainerNames,
  sourceName: string,
  owner: { sequencer?: string; eTag?: string },
  except: readonly string[] = [],
): Promise<string[]> {
  const removed: string[] = [];
  for (const location of resultLocations(containers, sourceName)) {
    const id = `${location.container}/${location.name}`;
    if (except.includes(id)) continue;
    const blob = serviceClient.getContainerClient(location.container).getBlobClient(location.name);
    if (await removeResult(blob, { name: sourceName, ...owner })) removed.push(id);
  }
  return removed;
}
