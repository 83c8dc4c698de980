/**
 * Running `serverless-img backfill` in the test's process (`backfillMain`, what the installed bin
 * runs), with its output captured, over settings of the test's containers.
 */
import { Writable } from 'node:stream';
import { backfillMain } from '../../../functions/backfill/main.js';
import type { BackfillSummary } from '../../../functions/backfill/run.js';
import type { Config } from '../../../functions/config.js';

/** What one run of the command printed, and its exit code. */
export interface CommandRun {
  code: number;
  stdout: string;
  stderr: string;
  summary: () => BackfillSummary;
}

/** Runs `serverless-img backfill <argv>` in this process over the settings `env`. */
export async function backfill(
  argv: string[],
  env: Record<string, string>,
  signal?: AbortSignal,
): Promise<CommandRun> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (text: string) => void) =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        append(chunk.toString());
        done();
      },
    });
  const io = { stdout: sink((t) => (stdout += t)), stderr: sink((t) => (stderr += t)) };
  const code = await backfillMain(argv, io, env, signal ?? new AbortController().signal);
  return { code, stdout, stderr, summary: () => JSON.parse(stdout) as BackfillSummary };
}

/** The settings of `config`'s containers over `connectionString`, plus `extra`. */
export function settingsOf(
  config: Config,
  connectionString: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    IMAGES_STORAGE: connectionString,
    IMG_INPUT_CONTAINER: config.containers.input,
    IMG_OUTPUT_CONTAINER: config.containers.output,
    IMG_THUMBNAIL_CONTAINER: config.containers.thumbnails,
    IMG_METADATA_CONTAINER: config.containers.metadata,
    IMG_DEADLETTER_CONTAINER: config.containers.deadletter,
    ...extra,
  };
}
