/**
 * The handler's reading steps: is this version done already, and the input's bytes, of the
 * version the event names or of the one there now.
 */
import { TransientStorageError } from './errors.js';
import type { Download } from './input-blobs.js';
import type { Invocation } from './invocation.js';
import type { Outcome } from './outcome.js';
import { publishStoredRecord } from './publish-events.js';
import { sameSource, type SourceLink } from './results.js';

/** How often a blob that keeps changing while it is read is followed to its newer version. */
const MAX_VERSION_CHASES = 3;

/** The input as read, and the version it is; or how reading it ended. */
export type InputRead =
  | { kind: 'ok'; link: SourceLink; download: Extract<Download, { kind: 'ok' }> }
  | { kind: 'too-large'; link: SourceLink; total: number; contentType: string | undefined }
  | { kind: 'ended'; outcome: Outcome };

/**
 * The metadata document is written last, so its link says which source version has complete
 * results (or a failure record): the same version is a duplicate, a newer one supersedes.
 */
export async function alreadyDone(inv: Invocation, link: SourceLink): Promise<Outcome | undefined> {
  const done = await inv.deps.results.completedVersion(link.name);
  if (done === undefined || !sameSource(done, link.name)) return undefined;
  if (done.eTag === link.eTag && link.replaces !== link.eTag) {
    await publishStoredRecord(inv, link.name, link.eTag);
    return inv.skip(link, 'duplicate', `results for eTag ${link.eTag} already exist`);
  }
  if ((done.sequencer ?? '') > link.sequencer) {
    return inv.skip(link, 'superseded', 'results of a newer version already exist');
  }
  return undefined;
}

/**
 * Downloads the version the event names or, when the blob changed since, the version there
 * now, and links the results to the eTag actually read: Set Blob Metadata and Set Blob
 * Properties change the eTag and raise no event, so no later event may come for it.
 */
export async function readInput(inv: Invocation, link: SourceLink): Promise<InputRead> {
  for (let chase = 0; chase <= MAX_VERSION_CHASES; chase += 1) {
    const download = await downloadStep(inv, link);
    switch (download.kind) {
      case 'ok':
        return { kind: 'ok', link, download };
      case 'too-large':
        return {
          kind: 'too-large',
          link,
          total: download.total,
          contentType: download.contentType,
        };
      case 'deleted':
        return {
          kind: 'ended',
          outcome: inv.skip(link, 'deleted', 'the blob was deleted since the event'),
        };
      case 'changed': {
        inv.context.log(
          `${link.name} changed since eTag ${link.eTag}; reading the version there now (eTag ${download.eTag}).`,
        );
        link = { ...link, eTag: download.eTag };
        const done = await alreadyDone(inv, link);
        if (done !== undefined) return { kind: 'ended', outcome: done };
      }
    }
  }
  const operation = `download ${inv.deps.config.containers.input}/${link.name}`;
  throw new TransientStorageError(operation, 412, new Error('the blob kept changing'));
}

function downloadStep(inv: Invocation, link: SourceLink): Promise<Download> {
  return inv.step('download', {}, async () => {
    const { maxBytes } = inv.deps.config.image;
    const download = await inv.deps.inputs.download(link.name, link.eTag, maxBytes);
    const bytes =
      download.kind === 'ok'
        ? download.bytes.length
        : download.kind === 'too-large'
          ? download.total
          : undefined;
    if (bytes !== undefined) inv.span.annotate({ 'serverless_img.input.bytes': bytes });
    return download;
  });
}
