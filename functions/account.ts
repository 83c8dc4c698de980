/**
 * Which storage account the app serves, as events name it. An event is trusted only when its
 * `topic` (`source`) is that account's resource id and its `url` points into that account:
 * anything else, however well formed, is somebody else's blob and must not make us read or
 * write anything.
 */
import type { StorageConfig } from './config.js';
import { keyValuePairs } from './setting-reader.js';

/** The configured account, as events name it. */
export interface StorageAccount {
  /** The account name (`stimgdev`, `devstoreaccount1`). */
  name: string;
  /** Where its blobs live: the blob endpoint and, for Data Lake events, the dfs endpoint. */
  endpoints: readonly URL[];
}

/** The account of the configured storage. */
export function storageAccountOf(storage: StorageConfig): StorageAccount {
  if (storage.kind === 'identity') return accountOfEndpoint(new URL(storage.blobServiceUri));
  const pairs = keyValuePairs(storage.connectionString);
  if (/^true$/i.test(pairs.get('usedevelopmentstorage') ?? '')) {
    return accountOfEndpoint(new URL('http://127.0.0.1:10000/devstoreaccount1'));
  }
  const blobEndpoint = pairs.get('blobendpoint');
  const name = pairs.get('accountname') ?? '';
  if (blobEndpoint !== undefined) return { ...accountOfEndpoint(new URL(blobEndpoint)), name };
  const protocol = pairs.get('defaultendpointsprotocol') ?? 'https';
  const suffix = pairs.get('endpointsuffix') ?? 'core.windows.net';
  return accountOfEndpoint(new URL(`${protocol}://${name}.blob.${suffix}`));
}

/**
 * Whether the event's `topic` names the account: Azure sends the account's resource id,
 * `/subscriptions/…/providers/Microsoft.Storage/storageAccounts/<name>`.
 */
export function topicNamesAccount(topic: string, account: StorageAccount): boolean {
  const match = /\/providers\/microsoft\.storage\/storageaccounts\/([^/]+)$/i.exec(topic);
  return match?.[1]?.toLowerCase() === account.name.toLowerCase();
}

/** Whether `url` points into the account (any container). */
export function urlInAccount(url: string, account: StorageAccount): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return account.endpoints.some((endpoint) => sameEndpoint(parsed, endpoint));
}

function sameEndpoint(url: URL, endpoint: URL): boolean {
  const prefix = endpoint.pathname.replace(/\/+$/, '');
  if (url.protocol !== endpoint.protocol || !url.pathname.startsWith(`${prefix}/`)) return false;
  // The local runtime serves one Azurite on two loopback ports (the recording proxy users
  // talk to, and Azurite itself): on loopback the port does not tell accounts apart.
  return isLoopback(endpoint.hostname)
    ? url.hostname === endpoint.hostname
    : url.host.toLowerCase() === endpoint.host.toLowerCase();
}

/** Whether a URL's hostname (as `URL.hostname` spells it) names this machine. */
export function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\./.test(hostname);
}

/**
 * An endpoint's account: path-style (`http://127.0.0.1:10000/<account>`, the emulator) names
 * it in the path, host-style (`https://<account>.blob.core.windows.net`) in the first label;
 * a host-style blob endpoint has a dfs twin that Data Lake events use.
 */
function accountOfEndpoint(endpoint: URL): StorageAccount {
  const pathAccount = endpoint.pathname.split('/').find((segment) => segment !== '');
  if (pathAccount !== undefined) return { name: pathAccount, endpoints: [endpoint] };
  const [name = '', service, ...rest] = endpoint.hostname.split('.');
  const endpoints = [endpoint];
  if (service === 'blob') {
    const dfs = new URL(endpoint.href);
    dfs.hostname = [name, 'dfs', ...rest].join('.');
    endpoints.push(dfs);
  }
  return { name, endpoints };
}
