/**
 * The telemetry settings, read from the environment (the app settings in Azure, the shell
 * locally) through `functions/config.ts`'s reader. The contract is shared with bicep/.
 */
import { ConfigError } from '../errors.js';
import { keyValuePairs, type SettingReader } from '../setting-reader.js';

/** Where telemetry goes: Application Insights, the console, or nowhere (the API stays a no-op). */
export type TelemetryExporter = 'azure-monitor' | 'console' | 'none';

/** The telemetry configuration of this process. */
export interface TelemetrySettings {
  exporter: TelemetryExporter;
  /** Application Insights connection string; set when `exporter` is `azure-monitor`. */
  connectionString?: string;
  /**
   * Present when the ingestion must authenticate with Entra ID (`Authorization=AAD`): the client
   * id of a user-assigned managed identity, or undefined for the system-assigned one.
   */
  entraId?: { clientId?: string };
  /** Fraction of traces kept, 0 to 1. Metrics are never sampled. */
  samplingRatio: number;
}

/**
 * The telemetry contract shared with bicep/: `APPLICATIONINSIGHTS_CONNECTION_STRING`,
 * `APPLICATIONINSIGHTS_AUTHENTICATION_STRING`, `IMG_TELEMETRY_CONSOLE`,
 * `IMG_TRACE_SAMPLING_RATIO`. A typo fails at start rather than silently dropping telemetry.
 */
export function telemetrySettings(read: SettingReader): TelemetrySettings {
  const samplingRatio = read.ratio('IMG_TRACE_SAMPLING_RATIO', 1);
  const console = read.boolean('IMG_TELEMETRY_CONSOLE', false);
  const connectionString = read.optional('APPLICATIONINSIGHTS_CONNECTION_STRING');
  if (connectionString === undefined) {
    return { exporter: console ? 'console' : 'none', samplingRatio };
  }
  if (!keyValuePairs(connectionString).get('instrumentationkey')) {
    throw new ConfigError(
      'APPLICATIONINSIGHTS_CONNECTION_STRING',
      'a connection string with InstrumentationKey=…',
      connectionString.replace(/=.*/s, '=…'),
    );
  }
  const entraId = entraIdOf(read);
  return {
    exporter: 'azure-monitor',
    connectionString,
    samplingRatio,
    ...(entraId === undefined ? {} : { entraId }),
  };
}

function entraIdOf(read: SettingReader): TelemetrySettings['entraId'] {
  const setting = 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING';
  const authentication = read.optional(setting);
  if (authentication === undefined) return undefined;
  const auth = keyValuePairs(authentication);
  if (auth.get('authorization')?.toUpperCase() !== 'AAD') {
    throw new ConfigError(
      setting,
      'Authorization=AAD (optionally with ClientId=<client id>)',
      authentication,
    );
  }
  const clientId = auth.get('clientid') || read.optional('AZURE_CLIENT_ID');
  return clientId ? { clientId } : {};
}
