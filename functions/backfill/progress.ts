/**
 * The progress of a backfill run: a bar on the terminal (stderr), nothing otherwise (a pipe, a
 * CI log, a test).
 */
import { Presets, SingleBar } from 'cli-progress';

/** Progress of the requests sent. */
export interface Progress {
  advance(count: number, last: string): void;
  stop(): void;
}

/** A bar over `total` requests on `stream` when it is a terminal; otherwise nothing. */
export function requestProgress(total: number, stream: NodeJS.WritableStream): Progress {
  if (!(stream as { isTTY?: boolean }).isTTY || total === 0) {
    return { advance: () => {}, stop: () => {} };
  }
  const bar = new SingleBar(
    {
      stream,
      format: '{bar} {value}/{total} requests sent | {name}',
      hideCursor: true,
      clearOnComplete: true,
    },
    Presets.shades_classic,
  );
  bar.start(total, 0, { name: '' });
  return {
    advance: (count, last) => bar.increment(count, { name: last }),
    stop: () => bar.stop(),
  };
}
