import { expect } from 'chai';
import { checkHealth, createHealthHandler } from '../../functions/health.js';
import { resultContainers, type Config } from '../../functions/config.js';
import { createBlobServiceClient } from '../../functions/storage.js';
import { azureFunctions } from '../../functions/azure-functions.js';
import { useAzurite } from '../helpers/azurite.js';
import { createContainers, invocation, testConfig } from './support.js';

/** What the app's probe checks: the input and every result container. */
const containersOf = (config: Config) => [config.containers.input, ...resultContainers(config)];

describe('functions/health (against Azurite)', function () {
  this.timeout(60_000);
  const azurite = useAzurite();

  const request = () =>
    new azureFunctions.HttpRequest({ url: 'http://localhost/api/health', method: 'GET' });

  it('answers 200 with every container reachable, saying nothing more', async () => {
    const config = testConfig(azurite.connectionString, 'healthy');
    await createContainers(azurite.serviceClient, config);
    const handler = createHealthHandler({
      serviceClient: azurite.serviceClient,
      containers: containersOf(config),
    });
    const response = await handler(request(), invocation());
    expect(response.status).to.equal(200);
    expect(response.jsonBody).to.deep.equal({ status: 'healthy' });
  });

  it('reports each container it checks, for the log', async () => {
    const config = testConfig(azurite.connectionString, 'report');
    await createContainers(azurite.serviceClient, config);
    expect(await checkHealth(azurite.serviceClient, containersOf(config))).to.deep.equal({
      status: 'healthy',
      containers: {
        'report-input': { reachable: true },
        'report-output': { reachable: true },
        'report-thumbnails': { reachable: true },
        'report-metadata': { reachable: true },
      },
    });
  });

  it('answers from its cache: hits within the cache time do not reach storage', async () => {
    const config = testConfig(azurite.connectionString, 'cached');
    await createContainers(azurite.serviceClient, config);
    let clock = 0;
    let checks = 0;
    const counting = azurite.serviceClient;
    const original = counting.getContainerClient.bind(counting);
    const serviceClient = Object.create(counting) as typeof counting;
    serviceClient.getContainerClient = (name: string) => {
      checks += 1;
      return original(name);
    };
    const handler = createHealthHandler({
      serviceClient,
      containers: containersOf(config),
      cacheMs: 30_000,
      now: () => clock,
    });
    await handler(request(), invocation());
    expect(checks).to.equal(4);
    for (let hit = 0; hit < 10; hit += 1) await handler(request(), invocation());
    expect(checks, 'ten hits within 30 s').to.equal(4);
    // The container goes away: the cached answer stands until the cache time is up.
    await azurite.serviceClient.getContainerClient(config.containers.output).delete();
    expect((await handler(request(), invocation())).status).to.equal(200);
    clock = 30_000;
    const response = await handler(request(), invocation());
    expect(checks).to.equal(8);
    expect(response.status).to.equal(503);
    expect(response.jsonBody).to.deep.equal({ status: 'unhealthy' });
  });

  it('answers 503 naming the container that does not exist', async () => {
    const config = testConfig(azurite.connectionString, 'partial');
    await azurite.serviceClient.getContainerClient(config.containers.input).createIfNotExists();
    const report = await checkHealth(azurite.serviceClient, containersOf(config));
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
      containers: containersOf(config),
    });
    const response = await handler(request(), invocation());
    expect(response.status).to.equal(503);
    expect(response.jsonBody).to.deep.equal({ status: 'unhealthy' });
    const report = await checkHealth(down, containersOf(config));
    expect(
      Object.values(report.containers).every((c) => !c.reachable && c.error === 'ECONNREFUSED'),
    ).to.equal(true);
  });
});
