import { expect } from 'chai';
import { checkHealth, createHealthHandler } from '../../functions/health.js';
import { createBlobServiceClient } from '../../functions/storage.js';
import { azureFunctions } from '../../functions/azure-functions.js';
import { useAzurite } from '../helpers/azurite.js';
import { createContainers, invocation, testConfig } from './support.js';

describe('functions/health (against Azurite)', function () {
  this.timeout(60_000);
  const azurite = useAzurite();

  const request = () =>
    new azureFunctions.HttpRequest({ url: 'http://localhost/api/health', method: 'GET' });

  it('answers 200 with every container reachable', async () => {
    const config = testConfig(azurite.connectionString, 'healthy');
    await createContainers(azurite.serviceClient, config);
    const handler = createHealthHandler({
      serviceClient: azurite.serviceClient,
      containers: config.containers,
    });
    const response = await handler(request(), invocation());
    expect(response.status).to.equal(200);
    expect(response.jsonBody).to.deep.equal({
      status: 'healthy',
      containers: {
        'healthy-input': { reachable: true },
        'healthy-output': { reachable: true },
        'healthy-thumbnails': { reachable: true },
        'healthy-metadata': { reachable: true },
      },
    });
  });

  it('answers 503 naming the container that does not exist', async () => {
    const config = testConfig(azurite.connectionString, 'partial');
    await azurite.serviceClient.getContainerClient(config.containers.input).createIfNotExists();
    const report = await checkHealth(azurite.serviceClient, config.containers);
    expect(report.status).to.equal('unhealthy');
    expect(report.containers['partial-input']).to.deep.equal({ reachable: true });
    expect(report.containers['partial-output']).to.deep.equal({
      reachable: false,
      error: 'ContainerNotFound',
    });
  });

  it('answers 503 when storage is down (a closed port)', async () => {
    const config = testConfig(azurite.connectionString, 'down');
    const down = createBlobServiceClient(
      {
        kind: 'connectionString',
        setting: 'IMAGES_STORAGE',
        connectionString: azurite.connectionString.replace(`:${azurite.port}/`, ':9/'),
      },
      { maxTries: 1, tryTimeoutMs: 2_000 },
    );
    const handler = createHealthHandler({
      serviceClient: down,
      containers: config.containers,
    });
    const response = await handler(request(), invocation());
    expect(response.status).to.equal(503);
    const body = response.jsonBody as {
      status: string;
      containers: Record<string, { reachable: boolean; error: string }>;
    };
    expect(body.status).to.equal('unhealthy');
    expect(
      Object.values(body.containers).every((c) => !c.reachable && c.error === 'ECONNREFUSED'),
    ).to.equal(true);
  });
});
