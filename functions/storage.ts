/**
 * The one place that builds the `BlobServiceClient`: with a managed identity in Azure
 * (no account key anywhere), with a connection string locally (Azurite).
 */
import { ManagedIdentityCredential } from '@azure/identity';
import { BlobServiceClient, type StoragePipelineOptions } from '@azure/storage-blob';

/** Where the images live and how we authenticate to it. */
export type StorageConfig =
  | {
      kind: 'connectionString';
      /** The setting it came from (`IMAGES_STORAGE` or `AzureWebJobsStorage`). */
      setting: string;
      connectionString: string;
    }
  | {
      kind: 'identity';
      setting: string;
      /** `https://<account>.blob.core.windows.net`. */
      blobServiceUri: string;
      /** Client id of a user-assigned managed identity; absent for the default credential chain. */
      clientId?: string;
    };

/** Retry and timeout knobs; the health probe uses one try and a short timeout. */
export interface StorageClientOptions {
  maxTries?: number;
  tryTimeoutMs?: number;
}

/** Builds the client for the configured images account. */
export function createBlobServiceClient(
  storage: StorageConfig,
  options: StorageClientOptions = {},
): BlobServiceClient {
  const pipeline: StoragePipelineOptions = {
    retryOptions: {
      maxTries: options.maxTries ?? 3,
      tryTimeoutInMs: options.tryTimeoutMs ?? 60_000,
      retryDelayInMs: 500,
      maxRetryDelayInMs: 5_000,
    },
    userAgentOptions: { userAgentPrefix: 'serverless-img' },
  };
  if (storage.kind === 'connectionString') {
    return BlobServiceClient.fromConnectionString(storage.connectionString, pipeline);
  }
  // The app's managed identity and nothing else: a chain that falls through to developer
  // credentials would hide a missing identity or role behind someone's `az login`.
  const credential =
    storage.clientId === undefined
      ? new ManagedIdentityCredential()
      : new ManagedIdentityCredential({ clientId: storage.clientId });
  return new BlobServiceClient(storage.blobServiceUri, credential, pipeline);
}
