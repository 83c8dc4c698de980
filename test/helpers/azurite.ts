/**
 * Test harness: a real Azurite blob service on a free port, started before the suite and
 * stopped after it. Call `useAzurite()` inside a `describe`.
 */
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite, type RunningAzurite } from '../../functions/local/azurite.js';

/** Handle on the suite's Azurite; fields are set once `before` ran. */
export interface AzuriteHandle {
  connectionString: string;
  port: number;
  serviceClient: BlobServiceClient;
  azurite: RunningAzurite;
}

/** Registers mocha hooks that start Azurite (in memory, free port) and stop it after the suite. */
export function useAzurite(): AzuriteHandle {
  const handle = {} as AzuriteHandle;
  before(async function () {
    this.timeout(30_000);
    handle.azurite = await startAzurite({ inMemory: true });
    handle.port = handle.azurite.port;
    handle.connectionString = handle.azurite.connectionString;
    handle.serviceClient = BlobServiceClient.fromConnectionString(handle.connectionString);
  });
  after(async () => {
    await handle.azurite?.stop();
  });
  return handle;
}
