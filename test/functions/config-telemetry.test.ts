import { expect } from 'chai';
import { readTelemetrySettings } from '../../functions/config.js';
import { ConfigError } from '../../functions/errors.js';

const CONNECTION =
  'InstrumentationKey=00000000-0000-4000-8000-000000000001;IngestionEndpoint=https://example.in.applicationinsights.azure.com/';

describe('functions/config: telemetry settings', () => {
  it('turns telemetry off when no connection string and no console setting are present', () => {
    expect(readTelemetrySettings({})).to.deep.equal({ exporter: 'none', samplingRatio: 1 });
  });

  it('prints to the console only when IMG_TELEMETRY_CONSOLE is true and no connection string is set', () => {
    expect(readTelemetrySettings({ IMG_TELEMETRY_CONSOLE: 'true' }).exporter).to.equal('console');
    expect(readTelemetrySettings({ IMG_TELEMETRY_CONSOLE: 'false' }).exporter).to.equal('none');
    const both = {
      IMG_TELEMETRY_CONSOLE: 'true',
      APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION,
    };
    expect(readTelemetrySettings(both).exporter).to.equal('azure-monitor');
  });

  it('exports to Application Insights with a connection string, keeping every trace by default', () => {
    const settings = readTelemetrySettings({ APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION });
    expect(settings).to.deep.equal({
      exporter: 'azure-monitor',
      connectionString: CONNECTION,
      samplingRatio: 1,
    });
  });

  it('authenticates with the user-assigned identity named in the authentication string', () => {
    const settings = readTelemetrySettings({
      APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION,
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=1111-2222;Authorization=AAD',
      AZURE_CLIENT_ID: 'other',
    });
    expect(settings.entraId).to.deep.equal({ clientId: '1111-2222' });
  });

  it('falls back to AZURE_CLIENT_ID, then to the default credential, when the string names no client', () => {
    const env = {
      APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION,
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD',
    };
    expect(readTelemetrySettings({ ...env, AZURE_CLIENT_ID: 'abc' }).entraId).to.deep.equal({
      clientId: 'abc',
    });
    expect(readTelemetrySettings(env).entraId).to.deep.equal({});
  });

  it('refuses an authentication string that does not ask for Entra ID', () => {
    const call = () =>
      readTelemetrySettings({
        APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION,
        APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=1',
      });
    expect(call)
      .to.throw(ConfigError, /APPLICATIONINSIGHTS_AUTHENTICATION_STRING/)
      .with.property('code', 'CONFIG_INVALID');
  });

  it('refuses a connection string without an instrumentation key, without echoing its values', () => {
    const call = () =>
      readTelemetrySettings({
        APPLICATIONINSIGHTS_CONNECTION_STRING: 'IngestionEndpoint=https://x/',
      });
    expect(call).to.throw(ConfigError, /InstrumentationKey/);
    expect(call).to.not.throw(/https:\/\/x/);
  });

  it('reads the sampling ratio and refuses one outside 0..1 or not a number', () => {
    expect(readTelemetrySettings({ IMG_TRACE_SAMPLING_RATIO: '0.25' }).samplingRatio).to.equal(
      0.25,
    );
    expect(() => readTelemetrySettings({ IMG_TRACE_SAMPLING_RATIO: '5' })).to.throw(
      /IMG_TRACE_SAMPLING_RATIO/,
    );
    expect(() => readTelemetrySettings({ IMG_TRACE_SAMPLING_RATIO: 'all' })).to.throw(
      /a number from 0 to 1/,
    );
  });

  it('refuses a console setting that is not a boolean', () => {
    expect(() => readTelemetrySettings({ IMG_TELEMETRY_CONSOLE: 'yes' })).to.throw(
      /IMG_TELEMETRY_CONSOLE/,
    );
  });
});
