/**
 * `GET /api/health`: can this app reach each container it reads and writes? 200 when it can,
 * 503 when any container is unreachable (for availability tests and load balancers).
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { BlobServiceClient } from '@azure/storage-blob';
import { resultContainers, type Config } from './config.js';
import { storageCodeOf, statusOf } from './errors.js';
import { createBlobServiceClient } from './storage.js';

/** The health report, as served. */
export interface HealthReport {
  status: 'healthy' | 'unhealthy';
  containers: Record<string, { reachable: boolean; error?: string }>;
}

/** How long one container check may take before it counts as unreachable. */
const CHECK_TIMEOUT_MS = 5_000;

/** Checks every container the function uses, in parallel. */
export async function checkHealth(
  serviceClient: BlobServiceClient,
  names: readonly string[],
): Promise<HealthReport> {
  const results = await Promise.all(
    names.map(async (name) => {
      try {
        await serviceClient
          .getContainerClient(name)
          .getProperties({ abortSignal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
        return [name, { reachable: true }] as const;
      } catch (error) {
        // A code, never a message: the endpoint is anonymous and must not leak details.
        const status = statusOf(error);
        const code =
          storageCodeOf(error) ??
          (status === undefined ? networkCode(error) : `HTTP ${String(status)}`);
        return [name, { reachable: false, error: code }] as const;
      }
    }),
  );
  const report: HealthReport['containers'] = Object.fromEntries(results);
  const healthy = results.every(([, result]) => result.reachable);
  return { status: healthy ? 'healthy' : 'unhealthy', containers: report };
}

/** What the probe checks: the containers of one storage account. */
export interface HealthProbe {
  serviceClient: BlobServiceClient;
  /** The containers it reads and writes: input, every result container. */
  containers: readonly string[];
  /** How long one check's answer is served again (default 30 s). */
  cacheMs?: number;
  /** Milliseconds, monotonic; defaults to `performance.now`. */
  now?: () => number;
}

/** How long a check's answer is reused: probes and anonymous callers never reach storage more often. */
export const HEALTH_CACHE_MS = 30_000;

/**
 * Builds the anonymous HTTP handler: 200 `{"status":"healthy"}` or 503 `{"status":"unhealthy"}`
 * and nothing more (no container names or storage errors for an anonymous caller; the
 * details go to the log). One check at a time, its answer reused for `cacheMs`, so hits on
 * the endpoint cost storage nothing.
 */
export function createHealthHandler(
  probe: HealthProbe,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  const now = probe.now ?? (() => performance.now());
  const cacheMs = probe.cacheMs ?? HEALTH_CACHE_MS;
  let last: { at: number; report: Promise<HealthReport> } | undefined;
  return async (_request, context) => {
    if (last === undefined || now() - last.at >= cacheMs) {
      const report = checkHealth(probe.serviceClient, probe.containers);
      last = { at: now(), report };
      void report.then((fresh) => {
        if (fresh.status !== 'healthy')
          context.warn(`Health check failed: ${JSON.stringify(fresh)}`);
      });
    }
    const { status } = await last.report;
    return {
      status: status === 'healthy' ? 200 : 503,
      jsonBody: { status },
      headers: { 'cache-control': `public, max-age=${Math.round(cacheMs / 1000)}` },
    };
  };
}

/** The probe of the configured account: one try and a short timeout per container. */
export function healthProbe(config: Pick<Config, 'storage' | 'containers' | 'image'>): HealthProbe {
  return {
    serviceClient: createBlobServiceClient(config.storage, {
      maxTries: 1,
      tryTimeoutMs: CHECK_TIMEOUT_MS,
    }),
    containers: [config.containers.input, ...resultContainers(config)],
  };
}

function networkCode(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code;
    if (typeof code === 'string') return code;
    return error.name;
  }
  return 'UNKNOWN';
}
