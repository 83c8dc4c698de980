/**
 * Telemetry settings, read once from the environment (the app settings in Azure, the shell
 * locally). The contract is shared with bicep/: `APPLICATIONINSIGHTS_CONNECTION_STRING`,
 * `APPLICATIONINSIGHTS_AUTHENTICATION_STRING`, `IMG_TELEMETRY_CONSOLE`, `IMG_TRACE_SAMPLING_RATIO`.
 */

/** Where telemetry goes: Application Insights, the console, or nowhere (the API stays a no-op). */
export type TelemetryExporter = 'azure-monitor' | 'console' | 'none';

/** The telemetry configuration of this process, validated. */
export interface TelemetrySettings {
  exporter: TelemetryExporter;
  /** Application Insights connection string; set when `exporter` is `azure-monitor`. */
  connectionString?: string;
  /**
   * Present when the ingestion must authenticate with Entra ID (`Authorization=AAD`): the client
   * id of a user-assigned managed identity, or undefined for the default credential chain.
   */
  entraId?: { clientId?: string };
  /** Fraction of traces kept, 0 to 1. Metrics are never sampled. */
  samplingRatio: number;
}

/** A telemetry setting has a value we cannot use. Stable `code` for alerts and tests. */
export class TelemetrySettingError extends Error {
  override readonly name = 'TelemetrySettingError';
  readonly code = 'INVALID_TELEMETRY_SETTING' as const;
  constructor(setting: string, expected: string, actual: string) {
    super(`Expected ${expected} for ${setting} but received "${actual}"`);
  }
}

/** Splits `Key=Value;Key=Value` (connection-string style) into a map with lower-case keys. */
function parseKeyValues(text: string): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const part of text.split(';')) {
    const index = part.indexOf('=');
    if (index <= 0) continue;
    pairs.set(part.slice(0, index).trim().toLowerCase(), part.slice(index + 1).trim());
  }
  return pairs;
}

function readBoolean(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '' || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  throw new TelemetrySettingError(name, 'true or false', env[name] ?? '');
}

function readRatio(env: NodeJS.ProcessEnv, name: string): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return 1;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new TelemetrySettingError(name, 'a number from 0 to 1', raw);
  }
  return value;
}

/**
 * Reads and validates the telemetry settings, so a typo fails at start rather than silently
 * dropping telemetry.
 */
export function readTelemetrySettings(env: NodeJS.ProcessEnv = process.env): TelemetrySettings {
  const samplingRatio = readRatio(env, 'IMG_TRACE_SAMPLING_RATIO');
  const console = readBoolean(env, 'IMG_TELEMETRY_CONSOLE');
  const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING?.trim();
  if (!connectionString) return { exporter: console ? 'console' : 'none', samplingRatio };

  const keys = parseKeyValues(connectionString);
  if (!keys.get('instrumentationkey')) {
    throw new TelemetrySettingError(
      'APPLICATIONINSIGHTS_CONNECTION_STRING',
      'a connection string with InstrumentationKey=…',
      connectionString.replace(/=.*/s, '=…'),
    );
  }
  const settings: TelemetrySettings = {
    exporter: 'azure-monitor',
    connectionString,
    samplingRatio,
  };
  const authentication = env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING?.trim();
  if (authentication) {
    const auth = parseKeyValues(authentication);
    if (auth.get('authorization')?.toUpperCase() !== 'AAD') {
      throw new TelemetrySettingError(
        'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
        'Authorization=AAD (optionally with ClientId=<client id>)',
        authentication,
      );
    }
    const clientId = auth.get('clientid') || env.AZURE_CLIENT_ID?.trim() || undefined;
    settings.entraId = clientId ? { clientId } : {};
  }
  return settings;
}
