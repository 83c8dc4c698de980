import { expect } from 'chai';
import { loadConfig } from '../../functions/config.js';
import { ConfigError } from '../../functions/errors.js';

const LOCAL = { IMAGES_STORAGE: 'UseDevelopmentStorage=true' };

function failure(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('loadConfig accepted the settings');
}

describe('functions/config', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(LOCAL);
    expect(config.containers).to.deep.equal({
      input: 'input',
      output: 'output',
      thumbnails: 'thumbnails',
      metadata: 'metadata',
      deadletter: 'deadletter',
      claims: 'claims',
    });
    expect(config.image).to.deep.equal({
      renditions: [
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
      ],
      maxPixels: 100_000_000,
      maxBytes: 104_857_600,
      includeGps: true,
      shrinkOnLoad: true,
    });
    expect(config.resources).to.deep.equal({
      concurrency: 2,
      instanceMemoryMb: 2048,
      // 2048 less the host's 384 and 128 per image thread.
      memoryBudgetMb: 1408,
      timeoutMs: 120_000,
    });
    expect(config.delivery).to.deep.equal({
      responseWindowMs: 30_000,
      downloadTimeoutMs: 60_000,
      downloadIdleMs: 10_000,
      maxQueuedRuns: 1_000,
    });
  });

  it('derives the memory budget from the instance memory, and refuses one that cannot fit', () => {
    const small = loadConfig({ ...LOCAL, IMG_INSTANCE_MEMORY_MB: '1024' });
    expect(small.resources.memoryBudgetMb).to.equal(1024 - 384 - 256);
    const tiny = failure({ ...LOCAL, IMG_INSTANCE_MEMORY_MB: '512' });
    expect(tiny.setting).to.equal('IMG_INSTANCE_MEMORY_MB');
    expect(tiny.message).to.match(/at least 896 MB for IMG_CONCURRENCY=2/);
    // More threads on the same instance leave less for images.
    expect(
      failure({ ...LOCAL, IMG_INSTANCE_MEMORY_MB: '1024', IMG_CONCURRENCY: '4' }).setting,
    ).to.equal('IMG_INSTANCE_MEMORY_MB');
    // A budget larger than what the instance leaves is refused, not trusted.
    const over = failure({
      ...LOCAL,
      IMG_INSTANCE_MEMORY_MB: '2048',
      IMG_MEMORY_BUDGET_MB: '2000',
    });
    expect(over.setting).to.equal('IMG_MEMORY_BUDGET_MB');
    expect(over.message).to.include('1408');
  });

  it("gives downloads the run's own limits, not the response window's, with the idle limit within the total", () => {
    // The run outlives the delivery (it stays queued when the window is too short for it).
    const config = loadConfig({ ...LOCAL, IMG_RESPONSE_WINDOW_MS: '5000' });
    expect(config.delivery).to.deep.equal({
      responseWindowMs: 5000,
      downloadTimeoutMs: 60_000,
      downloadIdleMs: 10_000,
      maxQueuedRuns: 1_000,
    });
    expect(
      failure({ ...LOCAL, IMG_DOWNLOAD_TIMEOUT_MS: '6000', IMG_DOWNLOAD_IDLE_MS: '7000' }).setting,
    ).to.equal('IMG_DOWNLOAD_IDLE_MS');
    expect(failure({ ...LOCAL, IMG_MAX_QUEUED_RUNS: '0' }).setting).to.equal('IMG_MAX_QUEUED_RUNS');
  });

  it('reads numbers, booleans and names as typed values', () => {
    const config = loadConfig({
      ...LOCAL,
      IMG_MAX_WIDTH: '1024',
      IMG_QUALITY: '90',
      IMG_INCLUDE_GPS: 'false',
      IMG_SHRINK_ON_LOAD: '0',
      IMG_THUMBNAIL_FIT: 'contain',
      IMG_OUTPUT_CONTAINER: 'resized-images',
    });
    const [output, thumbnail] = config.image.renditions;
    expect(output).to.include({ container: 'resized-images', width: 1024, quality: 90 });
    expect(thumbnail).to.include({ container: 'thumbnails', fit: 'contain', quality: 90 });
    expect(config.image.includeGps).to.equal(false);
    expect(config.image.shrinkOnLoad).to.equal(false);
    expect(config.containers.output).to.equal('resized-images');
  });

  it('names the setting when a number is not a number, out of range, or fractional', () => {
    expect(failure({ ...LOCAL, IMG_MAX_WIDTH: '800px' }).message).to.include('IMG_MAX_WIDTH');
    expect(failure({ ...LOCAL, IMG_QUALITY: '101' }).message).to.match(/IMG_QUALITY.*"101"/);
    expect(failure({ ...LOCAL, IMG_MAX_BYTES: '1.5' }).setting).to.equal('IMG_MAX_BYTES');
    expect(failure({ ...LOCAL, IMG_INCLUDE_GPS: 'yes' }).setting).to.equal('IMG_INCLUDE_GPS');
    expect(failure({ ...LOCAL, IMG_THUMBNAIL_FIT: 'fill' }).setting).to.equal('IMG_THUMBNAIL_FIT');
    expect(failure({ ...LOCAL, IMG_MAX_WIDTH: '800px' }).code).to.equal('CONFIG_INVALID');
  });

  it('refuses an invalid container name and a result container equal to the input', () => {
    expect(failure({ ...LOCAL, IMG_INPUT_CONTAINER: 'Input_Images' }).setting).to.equal(
      'IMG_INPUT_CONTAINER',
    );
    const same = failure({ ...LOCAL, IMG_OUTPUT_CONTAINER: 'input' });
    expect(same.setting).to.equal('IMG_OUTPUT_CONTAINER');
    expect(same.message).to.include('IMG_INPUT_CONTAINER');
  });

  it('uses the identity-based blobServiceUri with a user-assigned client id in Azure', () => {
    const config = loadConfig({
      IMAGES_STORAGE__blobServiceUri: 'https://stimgdev.blob.core.windows.net/',
      IMAGES_STORAGE__credential: 'managedidentity',
      IMAGES_STORAGE__clientId: '11111111-2222-3333-4444-555555555555',
      AzureWebJobsStorage__blobServiceUri: 'https://sthostdev.blob.core.windows.net',
    });
    expect(config.storage).to.deep.equal({
      kind: 'identity',
      setting: 'IMAGES_STORAGE__blobServiceUri',
      blobServiceUri: 'https://stimgdev.blob.core.windows.net',
      clientId: '11111111-2222-3333-4444-555555555555',
    });
  });

  it('derives the account URL from __accountName', () => {
    const config = loadConfig({ IMAGES_STORAGE__accountName: 'stimgdev' });
    expect(config.storage).to.include({ blobServiceUri: 'https://stimgdev.blob.core.windows.net' });
  });

  it('falls back to the AzureWebJobsStorage settings when no IMAGES_STORAGE setting exists', () => {
    const identity = loadConfig({ AzureWebJobsStorage__accountName: 'sthostdev' });
    expect(identity.storage).to.include({ setting: 'AzureWebJobsStorage__accountName' });
    const local = loadConfig({ AzureWebJobsStorage: 'UseDevelopmentStorage=true' });
    expect(local.storage).to.deep.include({ kind: 'connectionString' });
  });

  it('fails clearly when no storage is configured, or a setting is malformed', () => {
    expect(failure({}).message).to.include('IMAGES_STORAGE__blobServiceUri');
    expect(failure({ IMAGES_STORAGE: 'not a connection string' }).setting).to.equal(
      'IMAGES_STORAGE',
    );
    expect(failure({ IMAGES_STORAGE__blobServiceUri: 'stimgdev' }).setting).to.equal(
      'IMAGES_STORAGE__blobServiceUri',
    );
    expect(failure({ IMAGES_STORAGE__accountName: 'St_Img' }).setting).to.equal(
      'IMAGES_STORAGE__accountName',
    );
    expect(
      failure({ IMAGES_STORAGE__accountName: 'stimgdev', IMAGES_STORAGE__credential: 'key' })
        .setting,
    ).to.equal('IMAGES_STORAGE__credential');
  });

  it('never echoes an account key in a message', () => {
    const error = failure({ IMAGES_STORAGE: 'Foo=bar;AccountKey=c2VjcmV0' });
    expect(error.message).not.to.include('c2VjcmV0');
  });

  it('takes an https completion topic, or http on loopback only, with the storage identity', () => {
    expect(loadConfig(LOCAL).events).to.deep.equal({ topicEndpoint: undefined });
    const topic = 'https://img-events.westeurope-1.eventgrid.azure.net/api/events';
    const azure = loadConfig({
      IMAGES_STORAGE__accountName: 'images',
      IMAGES_STORAGE__clientId: 'client-1',
      IMG_EVENTS_TOPIC_ENDPOINT: topic,
    });
    expect(azure.events).to.deep.equal({ topicEndpoint: topic, clientId: 'client-1' });
    const local = 'http://127.0.0.1:9000/hook';
    expect(
      loadConfig({ ...LOCAL, IMG_EVENTS_TOPIC_ENDPOINT: local }).events.topicEndpoint,
    ).to.equal(local);
    for (const bad of ['http://example.com/api/events', 'not a url', 'ftp://127.0.0.1/x']) {
      const error = failure({ ...LOCAL, IMG_EVENTS_TOPIC_ENDPOINT: bad });
      expect(error.setting).to.equal('IMG_EVENTS_TOPIC_ENDPOINT');
      expect(error.message).to.contain('https://');
    }
  });
});
