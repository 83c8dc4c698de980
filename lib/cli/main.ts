/**
 * `serverless-img process <files or folders...> --out <dir>`: the offline CLI over lib/.
 * Exit code 0 when every file succeeded, 1 when any failed, 2 on a usage error.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseCliArgs, USAGE, UsageError } from './args.js';
import { collectInputs, readRenditionsFile } from './inputs.js';
import { runAll } from './batch.js';
import { createProgress, formatSummary, summarise } from './report.js';
import { OutputTree } from './write.js';

/** Where the CLI writes; tests pass their own streams. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** Runs the CLI on `argv` (without node and the script) and returns the exit code. */
export async function main(
  argv: readonly string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const started = performance.now();
  try {
    const args = parseCliArgs(argv);
    if (args.help) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (args.renditionsFile !== undefined) {
      args.options.renditions = await readRenditionsFile(args.renditionsFile);
    }
    const tree = await OutputTree.open(args.out).catch((error: Error) => {
      throw new UsageError(`Cannot create the output folder ${args.out}: ${error.message}`);
    });
    const { files, skipped } = await collectInputs(args.inputs, tree.root);
    for (const entry of skipped) io.stderr.write(`skipped ${entry.path}: ${entry.reason}\n`);

    const progress = createProgress(files.length, io.stderr);
    const batch = { concurrency: args.concurrency, timeoutMs: args.timeoutMs };
    const outcomes = await runAll(files, args.options, tree, batch, (outcome) =>
      progress.tick(outcome),
    );
    progress.stop();

    const summary = summarise(tree.root, outcomes, skipped, performance.now() - started);
    if (args.json) {
      io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    } else {
      io.stdout.write(formatSummary(summary));
    }
    return summary.failed > 0 ? 1 : 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`serverless-img: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw error;
  }
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(path.resolve(entry)).href) {
  process.exitCode = await main(process.argv.slice(2));
}
