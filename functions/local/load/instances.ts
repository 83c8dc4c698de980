/**
 * The load tool's instances: N child processes, each a Functions host with its own app
 * (`functions/local/instance.ts`), started with the settings of the run and stopped at its
 * end with the peak RSS each one measured of itself.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Env } from '../../config.js';
import type { InstanceCommand, InstanceMessage, InvocationTiming } from '../instance.js';

/** `functions/local/instance.ts`. */
const INSTANCE_SCRIPT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'instance.ts',
);

/** The `--import`/`--require` flags this process runs with (tsx's loader), for a child. */
export function loaderArgs(): string[] {
  const args: string[] = [];
  process.execArgv.forEach((arg, i) => {
    const value = process.execArgv[i + 1];
    if ((arg === '--import' || arg === '--require') && value !== undefined) args.push(arg, value);
  });
  return args;
}

/** How to start the instances. */
export interface InstancesOptions {
  count: number;
  /** The children's whole environment (the run's settings on top of this process's). */
  env: Env;
  /** Invocations each host runs at once; undefined: no limit. */
  concurrency: number | undefined;
  /** Process images on the main thread. */
  inline: boolean;
  /** Gets each line an instance prints, prefixed with its number. */
  log: (line: string) => void;
  /** Told where each invocation's time went, on any instance. */
  onInvocation?: (timing: InvocationTiming) => void;
}

/** One running instance. */
export interface Instance {
  readonly index: number;
  /** Its webhook URL. */
  readonly webhookUrl: string;
  /** The highest peak RSS it has reported, in KB (0 before the first report). */
  readonly peakRssKb: number;
  /** Whether it exited before being stopped. */
  readonly crashed: boolean;
}

/** The running instances. */
export interface Instances {
  readonly all: readonly Instance[];
  /** Stops every instance (each once its invocations end); resolves with their peaks. */
  stop(): Promise<void>;
}

class ChildInstance implements Instance {
  webhookUrl = '';
  peakRssKb = 0;
  crashed = false;
  #stopping = false;

  constructor(
    readonly index: number,
    readonly child: ChildProcess,
    onInvocation: (timing: InvocationTiming) => void = () => undefined,
  ) {
    child.on('message', (message: InstanceMessage) => {
      if (message.type === 'invocation') onInvocation(message);
      else if (message.type !== 'listening')
        this.peakRssKb = Math.max(this.peakRssKb, message.peakRssKb);
    });
    child.once('exit', (code, signal) => {
      if (this.#stopping) return;
      this.crashed = true;
      // Said even with --json (on stderr): a crash is what an instance out of memory does.
      console.error(`instance ${index} exited during the run (${signal ?? String(code)})`);
    });
  }

  listening(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onMessage = (message: InstanceMessage): void => {
        if (message.type !== 'listening') return;
        this.child.off('message', onMessage);
        this.webhookUrl = `http://127.0.0.1:${message.port}/runtime/webhooks/eventgrid?functionName=processImage`;
        resolve();
      };
      this.child.on('message', onMessage);
      this.child.once('exit', (code) =>
        reject(new Error(`instance ${this.index} exited (${String(code)}) before listening`)),
      );
    });
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    const command: InstanceCommand = { type: 'stop' };
    if (this.child.connected) this.child.send(command);
    else this.child.kill('SIGTERM');
    await exited;
  }
}

function pipeLines(child: ChildProcess, prefix: string, log: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) log(`${prefix} ${line}`);
    });
  }
}

/** Starts `count` instances and resolves when every one listens. */
export async function startInstances(options: InstancesOptions): Promise<Instances> {
  const args = [
    ...(options.concurrency === undefined ? [] : ['--concurrency', String(options.concurrency)]),
    ...(options.inline ? ['--inline'] : []),
  ];
  const instances = Array.from({ length: options.count }, (_, index) => {
    const child = fork(INSTANCE_SCRIPT, args, {
      execArgv: loaderArgs(),
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    pipeLines(child, `[instance ${index + 1}]`, options.log);
    return new ChildInstance(index + 1, child, options.onInvocation);
  });
  const stop = async (): Promise<void> => {
    await Promise.all(instances.map((instance) => instance.stop()));
  };
  try {
    await Promise.all(instances.map((instance) => instance.listening()));
  } catch (error) {
    await stop();
    throw error;
  }
  return { all: instances, stop };
}
