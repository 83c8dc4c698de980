/**
 * Who we are in telemetry: `service.name` and `service.version` (App Insights' cloud_RoleName
 * and application_Version), and the scope name of our tracer, meter and logger.
 */
import packageJson from '../../package.json' with { type: 'json' };

/** `service.name` of every span, metric and log we emit. */
export const SERVICE_NAME: string = packageJson.name;

/** `service.version`: this package's version, bundled at build time. */
export const SERVICE_VERSION: string = packageJson.version;
