/**
 * `serverless-img backfill` flags: which blobs to select, where storage and the backfill topic
 * are, and how to run. Bad flags are a `BackfillUsageError` (exit code 2).
 */
import { parseArgs } from 'node:util';

/** Which input blobs a run selects. */
export type SelectionMode =
  /** Blobs with no metadata document for their current eTag. */
  | { kind: 'missing' }
  /** Blobs whose results were made under other settings (another settings fingerprint). */
  | { kind: 'outdated' }
  /** Blobs whose record is a failure (with `code`: that code only). */
  | { kind: 'failed'; code?: string }
  /** The events in the dead-letter container, replayed. */
  | { kind: 'dead-lettered' };

/** A run's options, as the flags give them. */
export interface BackfillArgs {
  mode: SelectionMode;
  /** Only input names that start with this. */
  prefix: string | undefined;
  /** Resume: only input names from this one on (in listing order). */
  from: string | undefined;
  dryRun: boolean;
  /** Requests per second at most; undefined: as fast as the topic takes them. */
  rate: number | undefined;
  json: boolean;
  account: string | undefined;
  connectionString: string | undefined;
  topicEndpoint: string | undefined;
  /** `--dead-lettered`: how long to wait for the replayed events' results before giving up. */
  waitS: number;
  help: boolean;
}

/** A flag is wrong or a needed one is missing: the message says which (exit code 2). */
export class BackfillUsageError extends Error {
  override readonly name = 'BackfillUsageError';
  readonly code = 'BACKFILL_USAGE';
  readonly permanent = true;
}

export const BACKFILL_USAGE = `Usage: serverless-img backfill [selection] [options]

Sends a processing request (ServerlessImg.BackfillRequested) to the backfill topic for each
blob of the input container selected; processImage brings its results up to date.

Selection (one; default: blobs with no metadata document for their current eTag)
  --outdated            blobs whose results were made under other settings
  --failed [CODE]       blobs whose record is a failure (only CODE, when given)
  --dead-lettered       the events in the dead-letter container: replayed, and each
                        dead-letter blob removed once the blobs it names are processed
  --prefix <P>          only input names starting with P
  --from <NAME>         resume: only input names from NAME on (printed when interrupted)

Where (storage: one of the two, else IMAGES_STORAGE; topic: else IMG_BACKFILL_TOPIC_ENDPOINT)
  --account <NAME>      the images storage account, with your Entra ID sign-in
  --connection-string <S>   the images storage by connection string (Azurite)
  --topic-endpoint <URL>    the backfill topic (Entra ID: EventGrid Data Sender on it), or
                        http://127.0.0.1:7071/api/events for npm start

Run
  --dry-run             list what would be sent; send nothing (no topic needed)
  --rate <N>            at most N requests per second
  --wait-s <N>          --dead-lettered: wait at most N s for the results (default 600)
  --json                print one summary object on stdout
  --help

Exit code: 0 all sent (and, with --dead-lettered, every record removed), 1 some not,
2 bad flags or no way to reach storage or the topic, 130 interrupted (resume with --from).`;

/** Parses `argv` (after `backfill`). Throws `BackfillUsageError`. */
export function parseBackfillArgs(argv: readonly string[]): BackfillArgs {
  const { values } = parse(withFailedCode(argv));
  const modes = modeFlags(values);
  if (modes.length > 1) {
    throw new BackfillUsageError(`Choose one selection, not ${modes.join(' and ')}.`);
  }
  if (values.account !== undefined && values['connection-string'] !== undefined) {
    throw new BackfillUsageError('Give --account or --connection-string, not both.');
  }
  return {
    mode: modeOf(values),
    prefix: values.prefix,
    from: values.from,
    dryRun: values['dry-run'] ?? false,
    rate: values.rate === undefined ? undefined : positive('--rate', values.rate),
    json: values.json ?? false,
    account: accountName(values.account),
    connectionString: values['connection-string'],
    topicEndpoint: values['topic-endpoint'],
    waitS: positive('--wait-s', values['wait-s'] ?? '600'),
    help: values.help ?? false,
  };
}

type Values = ReturnType<typeof parse>['values'];

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: false,
      strict: true,
      options: {
        outdated: { type: 'boolean' },
        failed: { type: 'boolean' },
        'failed-code': { type: 'string' },
        'dead-lettered': { type: 'boolean' },
        prefix: { type: 'string' },
        from: { type: 'string' },
        account: { type: 'string' },
        'connection-string': { type: 'string' },
        'topic-endpoint': { type: 'string' },
        'dry-run': { type: 'boolean' },
        rate: { type: 'string' },
        'wait-s': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new BackfillUsageError(error instanceof Error ? error.message : String(error));
  }
}

/** `--failed CODE` (an optional value) as `--failed --failed-code CODE`. */
function withFailedCode(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    if (arg.startsWith('--failed=')) {
      out.push('--failed', '--failed-code', arg.slice('--failed='.length));
    } else if (arg === '--failed' && next !== undefined && !next.startsWith('-')) {
      out.push('--failed', '--failed-code', next);
      i += 1;
    } else {
      out.push(arg);
    }
  }
  return out;
}

function modeFlags(values: Values): string[] {
  return (['outdated', 'failed', 'dead-lettered'] as const)
    .filter((flag) => values[flag] === true)
    .map((flag) => `--${flag}`);
}

function modeOf(values: Values): SelectionMode {
  if (values.outdated === true) return { kind: 'outdated' };
  if (values['dead-lettered'] === true) return { kind: 'dead-lettered' };
  if (values.failed === true) {
    const code = values['failed-code'];
    return code === undefined ? { kind: 'failed' } : { kind: 'failed', code };
  }
  return { kind: 'missing' };
}

function positive(flag: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new BackfillUsageError(`Expected a positive number for ${flag} but received ${raw}.`);
  }
  return value;
}

function accountName(raw: string | undefined): string | undefined {
  if (raw === undefined || /^[a-z0-9]{3,24}$/.test(raw)) return raw;
  throw new BackfillUsageError(
    `Expected a storage account name (3-24 a-z, 0-9) for --account but received ${raw}.`,
  );
}
