/**
 * Starts Azurite's blob service as a child process, straight from the `azurite` package
 * (through npx, killing the parent would leave Azurite orphaned), and stops it again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Azurite's well-known development account (public, documented by Microsoft). */
export const DEVSTORE_ACCOUNT = 'devstoreaccount1';
export const DEVSTORE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** The connection string for an Azurite blob service on `host:port`. */
export function azuriteConnectionString(port: number, host = '127.0.0.1'): string {
  return (
    `DefaultEndpointsProtocol=http;AccountName=${DEVSTORE_ACCOUNT};AccountKey=${DEVSTORE_KEY};` +
    `BlobEndpoint=http://${host}:${port}/${DEVSTORE_ACCOUNT};`
  );
}

/** How to start Azurite. */
export interface AzuriteOptions {
  /** 0 picks a free port (the default). */
  port?: number;
  /** Keep data in memory only; otherwise in `location`. */
  inMemory?: boolean;
  /** Folder for Azurite's data when not in memory. */
  location?: string;
  /** Give up when Azurite has not printed its address within this time. */
  startTimeoutMs?: number;
}

/** A running Azurite blob service. */
export interface RunningAzurite {
  port: number;
  connectionString: string;
  process: ChildProcess;
  /** Stops Azurite and waits for the process to exit. */
  stop(): Promise<void>;
}

/** Path of Azurite's blob server script inside node_modules. */
export function azuriteBlobScript(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('azurite/package.json')), 'dist/src/blob/main.js');
}

/** Starts Azurite's blob service on 127.0.0.1 and resolves when it listens. */
export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const args = [
    azuriteBlobScript(),
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    String(options.port ?? 0),
    '--disableTelemetry',
    // The SDK may speak a newer REST version than this Azurite release knows.
    '--skipApiVersionCheck',
    '--silent',
  ];
  if (options.inMemory ?? options.location === undefined) {
    args.push('--inMemoryPersistence');
  } else {
    args.push('--location', options.location ?? '.azurite');
  }
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill();
      reject(
        new Error(
          `Azurite did not start within ${options.startTimeoutMs ?? 20_000} ms:\n${output}`,
        ),
      );
    }, options.startTimeoutMs ?? 20_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /successfully listens on https?:\/\/[^:]+:(\d+)/.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited with code ${String(code)} before listening:\n${output}`));
    });
  });
  child.stdout.resume();
  child.stderr.resume();
  return {
    port,
    connectionString: azuriteConnectionString(port),
    process: child,
    stop: () => stopProcess(child),
  };
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
