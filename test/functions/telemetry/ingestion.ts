/**
 * A stand-in for the Application Insights ingestion endpoint, served on loopback over https with
 * a throw-away self-signed certificate, so the real Azure Monitor exporter can be tested without
 * an Azure account. It records every envelope POSTed to `/v2.1/track` (gzip JSON arrays).
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** One telemetry item as the exporter sends it (the fields the tests read). */
export interface Envelope {
  name: string;
  iKey?: string;
  time: string;
  sampleRate?: number;
  tags?: Record<string, string>;
  data: {
    baseType: string;
    baseData: Record<string, unknown> & { properties?: Record<string, string> };
  };
}

/** A running loopback ingestion endpoint. */
export interface IngestionServer {
  /** `https://127.0.0.1:<port>/`, for `IngestionEndpoint=` and `LiveEndpoint=`. */
  endpoint: string;
  /** PEM file of the certificate, for `NODE_EXTRA_CA_CERTS` in a child process. */
  caFile: string;
  /** Every envelope received so far, in arrival order. */
  envelopes: Envelope[];
  /** Request paths received so far (`/v2.1/track`, …). */
  paths: string[];
  /** Every request received: path, query and headers (to check authentication). */
  requests: { path: string; query: URLSearchParams; headers: IncomingHttpHeaders }[];
  /**
   * `IDENTITY_ENDPOINT` of a stand-in for the managed identity endpoint that App Service and
   * Azure Functions provide (`GET ?resource=…&client_id=…` with `X-IDENTITY-HEADER`), which
   * answers with `token`.
   */
  identityEndpoint: string;
  close(): Promise<void>;
}

/** A connection string for the loopback endpoint, with a made-up instrumentation key. */
export function loopbackConnectionString(
  server: IngestionServer,
  instrumentationKey: string,
): string {
  return `InstrumentationKey=${instrumentationKey};IngestionEndpoint=${server.endpoint};LiveEndpoint=${server.endpoint}`;
}

/** Generates a self-signed certificate for 127.0.0.1 with openssl, valid for one day. */
function selfSignedCertificate(dir: string): { key: Buffer; cert: Buffer; certFile: string } {
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'pipe' },
  );
  return { key: readFileSync(keyFile), cert: readFileSync(certFile), certFile };
}

function decode(body: Buffer, encoding: string | undefined): Envelope[] {
  const text = (encoding === 'gzip' ? gunzipSync(body) : body).toString('utf8');
  const parsed: unknown = JSON.parse(text);
  return (Array.isArray(parsed) ? parsed : [parsed]) as Envelope[];
}

/** The managed identity stand-in's secret header value and the token it hands out. */
export const IDENTITY = { header: 'identity-header-for-tests', token: 'token-for-tests' } as const;

/** Starts the endpoint on a free loopback port. */
export async function startIngestion(): Promise<IngestionServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ingestion-'));
  const { key, cert, certFile } = selfSignedCertificate(dir);
  const envelopes: Envelope[] = [];
  const paths: string[] = [];
  const requests: IngestionServer['requests'] = [];
  const server: Server = createServer({ key, cert }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'https://127.0.0.1');
      const path = url.pathname;
      paths.push(path);
      requests.push({ path, query: url.searchParams, headers: request.headers });
      if (path === '/msi/token') {
        const allowed = request.headers['x-identity-header'] === IDENTITY.header;
        response.writeHead(allowed ? 200 : 401, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify(
            allowed
              ? {
                  access_token: IDENTITY.token,
                  expires_on: String(Math.floor(Date.now() / 1000) + 3600),
                  resource: url.searchParams.get('resource'),
                  token_type: 'Bearer',
                  client_id: url.searchParams.get('client_id'),
                }
              : { error: 'invalid identity header' },
          ),
        );
        return;
      }
      if (request.method === 'POST' && path.endsWith('/track')) {
        const received = decode(Buffer.concat(chunks), request.headers['content-encoding']);
        envelopes.push(...received);
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            itemsReceived: received.length,
            itemsAccepted: received.length,
            errors: [],
          }),
        );
        return;
      }
      // Live Metrics pings: answer "nobody is watching", so the SDK stays idle.
      response.writeHead(200, { 'x-ms-qps-subscribed': 'false' });
      response.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `https://127.0.0.1:${port}/`,
    caFile: certFile,
    envelopes,
    paths,
    requests,
    identityEndpoint: `https://127.0.0.1:${port}/msi/token`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
