/**
 * Claims on input names across instances. Event Grid may deliver the same event to two
 * instances (a retry goes wherever the front end sends it), and each keeps runs queued beyond
 * the delivery that started them; the claim makes sure one of them downloads and processes a
 * name while the other waits for its results. A claim is a lease on a small blob in the claims
 * container: storage ends it by itself if the instance holding it dies.
 */
import { createHash } from 'node:crypto';
import type { BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { classifyStorageError, statusOf, storageCodeOf } from './errors.js';

/** A claim held on one input name. */
export interface RunClaim {
  /** Ends the claim (and removes its blob); errors are ignored: the lease expires anyway. */
  release(): Promise<void>;
}

/** Claims input names for one run at a time across every instance. */
export interface RunClaims {
  /** Claims `name`, or undefined when another run holds it. */
  claim(name: string): Promise<RunClaim | undefined>;
}

/**
 * Seconds a claim lasts unless renewed (storage's leases last 15 to 60 s): long enough to
 * need few renewals, short enough that a dead instance's claim soon passes.
 */
const LEASE_SECONDS = 60;
/** Renewed at a third of its life, so two missed renewals still leave it held. */
const RENEW_MS = (LEASE_SECONDS * 1000) / 3;

/** `RunClaims` as leases on blobs named by the SHA-256 of the input name. */
export class BlobRunClaims implements RunClaims {
  constructor(private readonly container: ContainerClient) {}

  async claim(name: string): Promise<RunClaim | undefined> {
    const blob = this.container.getBlockBlobClient(claimBlobName(name));
    const operation = `claim ${this.container.containerName}/${blob.name}`;
    try {
      // The blob may vanish between creating and leasing it (its holder released it): try again.
      for (let attempt = 0; attempt < 3; attempt += 1) {
        await createIfAbsent(blob);
        const leaseId = await acquireLease(blob);
        if (leaseId === null) continue;
        return leaseId === undefined ? undefined : heldClaim(blob, leaseId);
      }
      return undefined;
    } catch (error) {
      throw classifyStorageError(operation, error);
    }
  }
}

/** The claim blob's name: fixed length whatever the input's name. */
export function claimBlobName(name: string): string {
  return `${createHash('sha256').update(name).digest('hex')}.claim`;
}

async function createIfAbsent(blob: BlockBlobClient): Promise<void> {
  try {
    await blob.upload('', 0, { conditions: { ifNoneMatch: '*' } });
  } catch (error) {
    // Already there (held, or left by a run that ended without removing it).
    if (statusOf(error) !== 409 && statusOf(error) !== 412) throw error;
  }
}

/** The lease id; undefined when another run holds the lease; null when the blob is gone. */
async function acquireLease(blob: BlockBlobClient): Promise<string | undefined | null> {
  try {
    const lease = await blob.getBlobLeaseClient().acquireLease(LEASE_SECONDS);
    return lease.leaseId;
  } catch (error) {
    if (statusOf(error) === 409 && storageCodeOf(error) === 'LeaseAlreadyPresent') return undefined;
    if (statusOf(error) === 404) return null;
    throw error;
  }
}

function heldClaim(blob: BlockBlobClient, leaseId: string): RunClaim {
  const lease = blob.getBlobLeaseClient(leaseId);
  const renewal = setInterval(() => {
    lease.renewLease().catch(() => undefined);
  }, RENEW_MS);
  renewal.unref();
  return {
    release: async () => {
      clearInterval(renewal);
      await blob.delete({ conditions: { leaseId } }).catch(() => undefined);
    },
  };
}
