/**
 * The telemetry settings, as `functions/config.ts` reads them from the environment (the app
 * settings in Azure, the shell locally). The contract is shared with bicep/.
 */

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
