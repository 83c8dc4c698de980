import { expect } from 'chai';
import { readFileSync } from 'node:fs';

interface HostJson {
  telemetryMode?: string;
  logging?: {
    logLevel?: Record<string, string>;
    applicationInsights?: { samplingSettings?: { isEnabled?: boolean; excludedTypes?: string } };
  };
}

const host = JSON.parse(
  readFileSync(new URL('../../../host.json', import.meta.url), 'utf8'),
) as HostJson;

describe('host.json telemetry settings', () => {
  it('runs the host in OpenTelemetry mode so its invocation span parents ours', () => {
    expect(host.telemetryMode).to.equal('OpenTelemetry');
  });

  it('keeps function logs and invocation results at Information or more verbose', () => {
    const verbose = ['Trace', 'Debug', 'Information'];
    expect(verbose).to.include(host.logging?.logLevel?.Function);
    expect(verbose).to.include(host.logging?.logLevel?.['Host.Results']);
  });

  it('never samples requests or exceptions away, should the classic mode be switched back on', () => {
    const sampling = host.logging?.applicationInsights?.samplingSettings;
    const excluded = (sampling?.excludedTypes ?? '').split(';');
    expect(sampling?.isEnabled === false || excluded.includes('Exception')).to.equal(true);
    expect(sampling?.isEnabled === false || excluded.includes('Request')).to.equal(true);
  });
});
