/**
 * The storage section of the settings (read through `functions/config.ts`'s reader): a
 * connection string locally, the account's endpoint and the managed identity in Azure.
 */
import { ConfigError } from './errors.js';
import type { SettingReader } from './setting-reader.js';
import type { StorageConfig } from './storage.js';

/** The prefixes of the storage connection settings, in order of precedence. */
const STORAGE_PREFIXES = ['IMAGES_STORAGE', 'AzureWebJobsStorage'] as const;

/**
 * Finds the storage connection: `IMAGES_STORAGE` (connection string, local only), else
 * `IMAGES_STORAGE__blobServiceUri` / `__accountName` (identity), else the same settings
 * under `AzureWebJobsStorage`.
 */
export function storageConfig(read: SettingReader): StorageConfig {
  for (const prefix of STORAGE_PREFIXES) {
    const connectionString = read.optional(prefix);
    if (connectionString !== undefined) return connectionStringConfig(prefix, connectionString);
    const identity = identityConfig(read, prefix);
    if (identity !== undefined) return identity;
  }
  throw new ConfigError(
    'IMAGES_STORAGE__blobServiceUri',
    'the images storage account (IMAGES_STORAGE__blobServiceUri or __accountName in Azure, IMAGES_STORAGE with a connection string locally)',
    undefined,
  );
}

function connectionStringConfig(setting: string, connectionString: string): StorageConfig {
  if (!/(^|;)\s*(AccountName|BlobEndpoint|UseDevelopmentStorage)\s*=/i.test(connectionString)) {
    throw new ConfigError(
      setting,
      'a storage connection string (AccountName=…;AccountKey=… or UseDevelopmentStorage=true)',
      redact(connectionString),
    );
  }
  return { kind: 'connectionString', setting, connectionString };
}

function identityConfig(read: SettingReader, prefix: string): StorageConfig | undefined {
  const uriSetting = `${prefix}__blobServiceUri`;
  const nameSetting = `${prefix}__accountName`;
  const uri = read.optional(uriSetting);
  const accountName = read.optional(nameSetting);
  if (uri === undefined && accountName === undefined) return undefined;
  const credential = read.optional(`${prefix}__credential`);
  if (credential !== undefined && credential.toLowerCase() !== 'managedidentity') {
    throw new ConfigError(`${prefix}__credential`, "'managedidentity'", credential);
  }
  const clientId = read.optional(`${prefix}__clientId`);
  return {
    kind: 'identity',
    setting: uri !== undefined ? uriSetting : nameSetting,
    blobServiceUri:
      uri !== undefined ? serviceUri(uriSetting, uri) : accountUri(nameSetting, accountName ?? ''),
    ...(clientId === undefined ? {} : { clientId }),
  };
}

function serviceUri(setting: string, uri: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(uri);
  } catch {
    parsed = undefined;
  }
  if (parsed?.protocol !== 'https:' && parsed?.protocol !== 'http:') {
    throw new ConfigError(setting, 'an absolute https:// URL', uri);
  }
  return uri.replace(/\/+$/, '');
}

function accountUri(setting: string, accountName: string): string {
  if (!/^[a-z0-9]{3,24}$/.test(accountName)) {
    throw new ConfigError(setting, 'a storage account name (3-24 a-z, 0-9)', accountName);
  }
  return `https://${accountName}.blob.core.windows.net`;
}

function redact(connectionString: string): string {
  return connectionString.replace(/(AccountKey|SharedAccessSignature)=[^;]*/gi, '$1=***');
}
