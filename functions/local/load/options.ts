/**
 * The options of `npm run load`: its usage text and the one reader of its flags.
 */
import {
  DELIVERY_FLAGS,
  deliveryFlags,
  integerFlag,
  parseFlags,
  POSITIVE_INTEGER,
} from '../args.js';
import { MIXES, type MixName } from './images.js';

/** What `--help` prints. */
export const USAGE = `Usage: npm run load -- [options]

  --images <n>        images to upload in one burst (default 100)
  --instances <n>     function app instances (child processes), events spread round robin (default 1)
  --instance-memory-mb <n>  each instance's memory, IMG_INSTANCE_MEMORY_MB (default 2048)
  --concurrency <n>   invocations each instance runs at once, as the host's per-instance
                      concurrency (default 16); Event Grid itself holds nothing back
  --mix <name>        default (mostly phone photos) or heavy (42 % at 12-24 MP, PNG too)
  --delivery-timeout-s <n>    Event Grid's response window (default 30)
  --retry-schedule-scale <x>  multiplies Event Grid's retry waits (default 1)
  --max-attempts <n>  deliveries before an event is dead-lettered (default 10)
  --inline            process images on the main thread instead of worker threads (no
                      time limit; to measure what the worker pool costs)
  --stall-s <n>       give up when nothing has finished for this long (default 180)
  --json              print one JSON object on stdout, nothing else
  --help`;

/** The options of a load run. */
export interface LoadOptions {
  images: number;
  instances: number;
  instanceMemoryMb: number;
  concurrency: number;
  mix: MixName;
  delivery: { responseWindowS: number; scheduleScale: number; maxAttempts: number };
  stallMs: number;
  json: boolean;
  inline: boolean;
}

function parseMix(raw: string): MixName {
  if (raw in MIXES) return raw as MixName;
  throw new Error(`Expected ${Object.keys(MIXES).join(' or ')} for --mix but received ${raw}`);
}

/** The options from the command line; undefined for `--help`. */
export function parseOptions(argv: string[]): LoadOptions | undefined {
  const values = parseFlags(argv, {
    images: { type: 'string', default: '100' },
    instances: { type: 'string', default: '1' },
    'instance-memory-mb': { type: 'string', default: '2048' },
    concurrency: { type: 'string', default: '16' },
    mix: { type: 'string', default: 'default' },
    'stall-s': { type: 'string', default: '180' },
    json: { type: 'boolean', default: false },
    inline: { type: 'boolean', default: false },
    ...DELIVERY_FLAGS,
  });
  if (values === undefined) return undefined;
  const delivery = deliveryFlags(values);
  return {
    images: integerFlag('images', values.images, POSITIVE_INTEGER),
    instances: integerFlag('instances', values.instances, POSITIVE_INTEGER),
    instanceMemoryMb: integerFlag('instance-memory-mb', values['instance-memory-mb'], {
      expected: 'megabytes (128 or more)',
      min: 128,
    }),
    concurrency: integerFlag('concurrency', values.concurrency, POSITIVE_INTEGER),
    mix: parseMix(values.mix),
    delivery: {
      responseWindowS: delivery.responseWindowS ?? 30,
      scheduleScale: delivery.scheduleScale ?? 1,
      maxAttempts: delivery.maxAttempts,
    },
    stallMs: integerFlag('stall-s', values['stall-s'], POSITIVE_INTEGER) * 1000,
    json: values.json,
    inline: values.inline,
  };
}
