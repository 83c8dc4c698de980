import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../functions/config.js';
import { ROOT } from '../../scripts/bicep-cli.js';
import {
  type Infra,
  type PredictedResource,
  devVariant,
  get,
  inPublicCloud,
  loadInfra,
  one,
  requireBicep,
} from './infra.js';

/** The app settings of the function app as name → value (values evaluated where Bicep could). */
function appSettings(app: PredictedResource): Record<string, unknown> {
  const list = get(app, 'properties', 'siteConfig', 'appSettings') as {
    name: string;
    value: unknown;
  }[];
  return Object.fromEntries(list.map((setting) => [setting.name, inPublicCloud(setting.value)]));
}

/** Every `IMG_*` setting name the function app's code reads (functions/, the local runtime aside). */
function settingsTheCodeReads(dir = join(ROOT, 'functions')): Set<string> {
  const names = new Set<string>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'local') {
      for (const name of settingsTheCodeReads(path)) names.add(name);
    } else if (entry.isFile() && entry.name.endsWith('.ts')) {
      for (const match of readFileSync(path, 'utf8').matchAll(/['"`](IMG_[A-Z_]+)['"`]/g))
        names.add(match[1]!);
    }
  }
  return names;
}

/** The ARM expression that reads a property of the user-assigned identity. */
function identityProperty(infra: Infra, property: string): string {
  const identity = one(infra.dev, 'Microsoft.ManagedIdentity/userAssignedIdentities');
  return `[reference('${identity.id}', '${identity.apiVersion}').${property}]`;
}

describe('bicep: function app', function () {
  let infra: Infra;
  let app: PredictedResource;
  let settings: Record<string, unknown>;

  before(function () {
    requireBicep(this);
    infra = loadInfra();
    app = one(infra.dev, 'Microsoft.Web/sites');
    settings = appSettings(app);
  });

  it('runs on a Linux Flex Consumption (FC1) plan', function () {
    const plan = one(infra.dev, 'Microsoft.Web/serverfarms');
    expect(plan.sku).to.deep.equal({ name: 'FC1', tier: 'FlexConsumption' });
    expect(get(plan, 'properties', 'reserved')).to.equal(true);
    expect(app.kind).to.equal('functionapp,linux');
    expect(get(app, 'properties', 'serverFarmId')).to.equal(plan.id);
  });

  it('runs Node.js 22 with the instance memory and instance cap from the parameters file', function () {
    const config = get(app, 'properties', 'functionAppConfig');
    expect(get(config, 'runtime')).to.deep.equal({ name: 'node', version: '22' });
    expect(get(config, 'scaleAndConcurrency')).to.deep.equal({
      instanceMemoryMB: 2048,
      maximumInstanceCount: 10,
    });
  });

  it('pulls its deployment package from the host account with the user-assigned identity', function () {
    const identity = one(infra.dev, 'Microsoft.ManagedIdentity/userAssignedIdentities');
    const storage = get(app, 'properties', 'functionAppConfig', 'deployment', 'storage');
    expect(get(storage, 'type')).to.equal('blobContainer');
    expect(inPublicCloud(get(storage, 'value'))).to.equal(
      `https://${infra.outputs.HOST_STORAGE_ACCOUNT}.blob.core.windows.net/deployment-package`,
    );
    expect(get(storage, 'authentication')).to.deep.equal({
      type: 'UserAssignedIdentity',
      userAssignedIdentityResourceId: identity.id,
    });
  });

  it('runs as the user-assigned identity only', function () {
    const identity = one(infra.dev, 'Microsoft.ManagedIdentity/userAssignedIdentities');
    expect(app.identity).to.deep.equal({
      type: 'UserAssigned',
      userAssignedIdentities: { [identity.id]: {} },
    });
  });

  it('serves HTTPS only with TLS 1.2 or newer by default, and no FTP', function () {
    expect(get(app, 'properties', 'httpsOnly')).to.equal(true);
    expect(get(app, 'properties', 'siteConfig', 'minTlsVersion')).to.equal('1.2');
    expect(get(app, 'properties', 'siteConfig', 'scmMinTlsVersion')).to.equal('1.2');
    expect(get(app, 'properties', 'siteConfig', 'ftpsState')).to.equal('Disabled');
  });

  it('turns off basic-auth publishing for both FTP and the SCM site', function () {
    for (const name of ['ftp', 'scm']) {
      const policy = one(
        infra.dev,
        'Microsoft.Web/sites/basicPublishingCredentialsPolicies',
        `/${name}`,
      );
      expect(policy.name).to.equal(`${app.name}/${name}`);
      expect(policy.properties).to.deep.equal({ allow: false });
    }
  });

  it('carries the azd service tag that `azd deploy` looks the app up by', function () {
    expect(app.tags).to.include({ 'azd-service-name': 'functions', 'azd-env-name': 'dev' });
  });

  it('connects to the host storage with the identity, by service URI', function () {
    const host = infra.outputs.HOST_STORAGE_ACCOUNT;
    expect(settings).to.include({
      AzureWebJobsStorage__blobServiceUri: `https://${host}.blob.core.windows.net`,
      AzureWebJobsStorage__queueServiceUri: `https://${host}.queue.core.windows.net`,
      AzureWebJobsStorage__tableServiceUri: `https://${host}.table.core.windows.net`,
      AzureWebJobsStorage__credential: 'managedidentity',
      AzureWebJobsStorage__clientId: identityProperty(infra, 'clientId'),
    });
    expect(settings).to.not.have.property('AzureWebJobsStorage');
  });

  it('connects to the images account with the identity (IMAGES_STORAGE__*), never a connection string', function () {
    expect(settings).to.include({
      IMAGES_STORAGE__blobServiceUri: `https://${infra.outputs.IMAGES_STORAGE_ACCOUNT}.blob.core.windows.net`,
      IMAGES_STORAGE__credential: 'managedidentity',
      IMAGES_STORAGE__clientId: identityProperty(infra, 'clientId'),
      AZURE_CLIENT_ID: identityProperty(infra, 'clientId'),
    });
    expect(settings).to.not.have.property('IMAGES_STORAGE');
  });

  it('sends telemetry to Application Insights with Entra ID, not the instrumentation key', function () {
    const appInsights = one(infra.dev, 'Microsoft.Insights/components');
    expect(settings['APPLICATIONINSIGHTS_CONNECTION_STRING']).to.equal(
      `[reference('${appInsights.id}', '${appInsights.apiVersion}').ConnectionString]`,
    );
    const identity = one(infra.dev, 'Microsoft.ManagedIdentity/userAssignedIdentities');
    expect(settings['APPLICATIONINSIGHTS_AUTHENTICATION_STRING']).to.equal(
      `[format('ClientId={0};Authorization=AAD', reference('${identity.id}', '${identity.apiVersion}').clientId)]`,
    );
    expect(appInsights.properties).to.include({ DisableLocalAuth: true });
    expect(settings).to.not.have.any.keys(
      'APPINSIGHTS_INSTRUMENTATIONKEY',
      'APPLICATIONINSIGHTS_INSTRUMENTATIONKEY',
    );
  });

  it('passes the pipeline settings the function code reads, with their documented defaults', function () {
    expect(settings).to.include({
      IMG_INPUT_CONTAINER: 'input',
      IMG_METADATA_CONTAINER: 'metadata',
      IMG_DEADLETTER_CONTAINER: 'deadletter',
      IMG_CLAIMS_CONTAINER: 'claims',
      IMG_RENDITIONS: JSON.stringify([
        {
          container: 'output',
          width: 800,
          height: 600,
          fit: 'inside',
          format: 'auto',
          quality: 82,
        },
        {
          container: 'thumbnails',
          width: 150,
          height: 150,
          fit: 'cover',
          format: 'auto',
          quality: 82,
        },
      ]),
      IMG_CACHE_CONTROL: 'public, max-age=86400',
      IMG_MAX_PIXELS: '100000000',
      IMG_MAX_BYTES: '104857600',
      IMG_MAX_FRAMES: '1000',
      IMG_INCLUDE_GPS: 'true',
      IMG_SHRINK_ON_LOAD: 'true',
      IMG_PLACEHOLDER: 'true',
      IMG_DOMINANT_COLOR: 'true',
      IMG_PERCEPTUAL_HASH: 'true',
      IMG_CONCURRENCY: '2',
      IMG_INSTANCE_MEMORY_MB: '2048',
      IMG_TIMEOUT_MS: '120000',
      IMG_TELEMETRY_CONSOLE: 'false',
      IMG_TRACE_SAMPLING_RATIO: '1',
    });
  });

  it('sets nothing beyond the settings contract, so no stray secret can hide among them', function () {
    const contract = [
      'AzureWebJobsStorage__blobServiceUri',
      'AzureWebJobsStorage__queueServiceUri',
      'AzureWebJobsStorage__tableServiceUri',
      'AzureWebJobsStorage__credential',
      'AzureWebJobsStorage__clientId',
      'IMAGES_STORAGE__blobServiceUri',
      'IMAGES_STORAGE__credential',
      'IMAGES_STORAGE__clientId',
      'AZURE_CLIENT_ID',
      'APPLICATIONINSIGHTS_CONNECTION_STRING',
      'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
    ];
    const own = Object.keys(settings).filter((name) => name.startsWith('IMG_'));
    expect(Object.keys(settings)).to.have.members([...contract, ...own]);
    expect(own).to.have.lengthOf(20);
  });

  it('sets exactly the IMG_* settings the function code reads, but those it derives', function () {
    // Derived by the app from what the template sets (the budget from the instance memory, the
    // download limits from the response window), or fixed by Event Grid (its 30 s window).
    const derived = [
      'IMG_MEMORY_BUDGET_MB',
      'IMG_RESPONSE_WINDOW_MS',
      'IMG_DOWNLOAD_TIMEOUT_MS',
      'IMG_DOWNLOAD_IDLE_MS',
      // How many runs an instance queues: the default holds at any instance size.
      'IMG_MAX_QUEUED_RUNS',
      // The single settings of the two default renditions: IMG_RENDITIONS lists them all.
      'IMG_OUTPUT_CONTAINER',
      'IMG_THUMBNAIL_CONTAINER',
      'IMG_MAX_WIDTH',
      'IMG_MAX_HEIGHT',
      'IMG_THUMBNAIL_WIDTH',
      'IMG_THUMBNAIL_HEIGHT',
      'IMG_THUMBNAIL_FIT',
      'IMG_THUMBNAIL_POSITION',
      'IMG_QUALITY',
    ];
    // Read by `serverless-img backfill` on an operator's machine, not by the app.
    const cliOnly = ['IMG_BACKFILL_TOPIC_ENDPOINT'];
    const set = Object.keys(settings).filter((name) => name.startsWith('IMG_'));
    const read = [...settingsTheCodeReads()];
    expect(read).to.include.members([...derived, ...cliOnly]);
    expect(set).to.have.members(
      read.filter((name) => !derived.includes(name) && !cliOnly.includes(name)),
    );
  });

  it('offers only instance sizes the app can run on with its default settings', function () {
    const main = JSON.parse(infra.compiled.main) as {
      parameters: Record<string, { allowedValues?: number[] }>;
    };
    const allowed = main.parameters.instanceMemoryMB?.allowedValues ?? [];
    expect(allowed).to.have.members([2048, 4096]);
    for (const size of allowed) {
      const config = loadConfig({
        IMAGES_STORAGE: 'UseDevelopmentStorage=true',
        IMG_INSTANCE_MEMORY_MB: String(size),
        IMG_CONCURRENCY: String(settings.IMG_CONCURRENCY),
      });
      expect(config.resources.memoryBudgetMb, `${size} MB`).to.be.at.least(1024);
    }
    // Flex Consumption's smallest instance would be refused at start: the template does not offer it.
    expect(() =>
      loadConfig({ IMAGES_STORAGE: 'UseDevelopmentStorage=true', IMG_INSTANCE_MEMORY_MB: '512' }),
    ).to.throw(/IMG_INSTANCE_MEMORY_MB/);
  });

  it("passes settings the function's own loader accepts as identity-based storage", function () {
    // Values Azure fills in at deployment (the identity's client id, the connection string)
    // stand in as plausible literals; everything else is exactly what the template sets.
    const clientId = '11111111-2222-3333-4444-555555555555';
    const TOPIC_ENDPOINT = 'https://evt.westeurope-1.eventgrid.azure.net/api/events';
    const env = Object.fromEntries(
      Object.entries(settings).map(([name, value]) => {
        const text = String(value);
        if (text.includes('.clientId)]')) return [name, `ClientId=${clientId};Authorization=AAD`];
        if (text.endsWith('.clientId]')) return [name, clientId];
        if (text.endsWith('.endpoint]')) return [name, TOPIC_ENDPOINT];
        if (text.endsWith('.ConnectionString]'))
          return [name, 'InstrumentationKey=00000000-0000-0000-0000-000000000000'];
        return [name, text];
      }),
    );
    const config = loadConfig(env);
    // The completion topic's endpoint, published to with the same identity as storage.
    expect(settings['IMG_EVENTS_TOPIC_ENDPOINT']).to.match(
      new RegExp(
        `^\\[reference\\('[^']*/Microsoft\\.EventGrid/topics/${infra.outputs.EVENTS_TOPIC_NAME}', '[^']+'\\)\\.endpoint\\]$`,
      ),
    );
    expect(config.events).to.deep.equal({ topicEndpoint: TOPIC_ENDPOINT, clientId });
    expect(config.storage).to.deep.equal({
      kind: 'identity',
      setting: 'IMAGES_STORAGE__blobServiceUri',
      blobServiceUri: `https://${infra.outputs.IMAGES_STORAGE_ACCOUNT}.blob.core.windows.net`,
      clientId,
    });
    expect(config.containers).to.deep.equal({
      input: 'input',
      output: 'output',
      thumbnails: 'thumbnails',
      metadata: 'metadata',
      deadletter: 'deadletter',
      claims: 'claims',
    });
    expect(config.image).to.include({
      includeGps: true,
      shrinkOnLoad: true,
      placeholder: true,
      dominantColor: true,
      perceptualHash: true,
    });
    expect(
      config.image.renditions.map((r) => `${r.container} ${r.width}x${r.height}`),
    ).to.deep.equal(['output 800x600', 'thumbnails 150x150']);
    expect(config.results.cacheControl).to.equal('public, max-age=86400');
    expect(config.resources).to.deep.equal({
      concurrency: 2,
      instanceMemoryMb: 2048,
      // Derived by the app: 2048 less the host's 384 and 128 per image thread.
      memoryBudgetMb: 1408,
      timeoutMs: 120000,
    });
  });

  it('holds no key, SAS or instrumentation key in any setting value', function () {
    for (const [name, value] of Object.entries(settings)) {
      expect(String(value), name).to.not.match(
        /AccountKey=|SharedAccessSignature|sig=|InstrumentationKey=|listKeys\(|listAccountSas\(|listServiceSas\(/i,
      );
    }
  });
});

describe('bicep: function app with minTlsVersion 1.3', function () {
  it('requires TLS 1.3 of clients of both the app and its SCM site', function () {
    requireBicep(this);
    const tls13 = devVariant('tls13', ["param minTlsVersion = '1.3'"]);
    const app = one(tls13, 'Microsoft.Web/sites');
    expect(get(app, 'properties', 'siteConfig', 'minTlsVersion')).to.equal('1.3');
    expect(get(app, 'properties', 'siteConfig', 'scmMinTlsVersion')).to.equal('1.3');
  });
});
