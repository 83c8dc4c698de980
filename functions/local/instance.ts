/**
 * One Functions host instance of the load tool (`npm run load -- --instances N`), run as a
 * child process: its own app (handler, image runner, memory budget) built from the
 * environment the load tool gives it (`IMAGES_STORAGE`, `IMG_RESPONSE_WINDOW_MS`,
 * `IMG_INSTANCE_MEMORY_MB`), serving the host's webhook on a free loopback port, as one Flex
 * Consumption instance serves its share of Event Grid's deliveries.
 *
 * It talks to the load tool over the IPC channel (`InstanceMessage`): it says its port, then
 * its peak RSS every second (`process.resourceUsage().maxRSS`: the whole process, worker
 * threads included), where each invocation's time went (waiting in the host, in the function), and on `stop` closes the host once its invocations end and says its
 * final peak.
 */
import { createApp } from '../app.js';
import { environment, loadConfig } from '../config.js';
import { integerFlag, parseFlags, POSITIVE_INTEGER } from './args.js';
import { startFunctionsHost } from './host.js';

/** What an instance tells the load tool. */
export type InstanceMessage =
  | { type: 'listening'; port: number }
  | { type: 'rss'; peakRssKb: number }
  | ({ type: 'invocation' } & InvocationTiming)
  | { type: 'stopped'; peakRssKb: number };

/** Where one invocation's time went, as the host saw it. */
export interface InvocationTiming {
  /** Waiting in the host for a free slot, before the function was called. */
  queuedMs: number;
  /** The function's own time, from its call to its answer. */
  runMs: number;
}

/** What the load tool tells an instance. */
export interface InstanceCommand {
  type: 'stop';
}

function send(message: InstanceMessage): void {
  process.send?.(message);
}

const peakRssKb = (): number => process.resourceUsage().maxRSS;

async function main(argv: string[]): Promise<void> {
  const values = parseFlags(argv, {
    concurrency: { type: 'string' },
    inline: { type: 'boolean', default: false },
  });
  if (values === undefined) return;
  const concurrency =
    values.concurrency === undefined
      ? undefined
      : integerFlag('concurrency', values.concurrency, POSITIVE_INTEGER);
  const app = createApp(loadConfig(environment()), {
    isolation: values.inline ? 'inline' : 'worker',
  });
  const host = await startFunctionsHost({
    app,
    port: 0,
    concurrency,
    // The load tool prints these (without --json): why deliveries were refused.
    onInvocation: ({ event, attempt, error, queuedMs, runMs }) => {
      send({ type: 'invocation', queuedMs, runMs });
      if (error === undefined) return;
      const subject = (event as { subject?: unknown }).subject;
      const message = error instanceof Error ? error.message : String(error);
      console.error(`${String(subject)} attempt ${attempt} threw: ${message}`);
    },
  });
  send({ type: 'listening', port: host.port });
  const ticker = setInterval(() => send({ type: 'rss', peakRssKb: peakRssKb() }), 1_000);
  process.on('message', (command: InstanceCommand) => {
    if (command.type !== 'stop') return;
    clearInterval(ticker);
    void host
      .close()
      .then(() => app.close())
      .then(() => {
        send({ type: 'stopped', peakRssKb: peakRssKb() });
        process.disconnect();
      });
  });
  // The load tool gone (its channel closed): nothing more will come.
  process.once('disconnect', () => {
    clearInterval(ticker);
    void host.close().then(() => app.close());
  });
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 2;
});
