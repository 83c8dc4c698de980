/**
 * Reading the command lines of `npm start` and `npm run load`: the same `--help` and
 * strictness for both, and one message shape for a bad value.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type FlagsConfig = NonNullable<ParseArgsConfig['options']>;

type ParsedValues<T extends FlagsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; strict: true }>
>['values'];

/**
 * The flags of `argv` as `options` declares them (an unknown flag throws), or undefined when
 * `--help` was given.
 */
export function parseFlags<const T extends FlagsConfig>(
  argv: string[],
  options: T,
): ParsedValues<T> | undefined {
  const { values } = parseArgs({
    args: argv,
    options: { ...options, help: { type: 'boolean', default: false } },
    strict: true,
  });
  const { help, ...flags } = values as { help?: boolean };
  return help === true ? undefined : (flags as ParsedValues<T>);
}

/** The range an integer flag accepts, and how the error names it. */
export interface IntegerFlagRule {
  /** What the flag expects, in words: "a port number", "a positive integer". */
  expected: string;
  min: number;
  max?: number;
}

/** The rule of a count such as `--images`: an integer of 1 or more. */
export const POSITIVE_INTEGER: Readonly<IntegerFlagRule> = {
  expected: 'a positive integer',
  min: 1,
};

/**
 * The value of the integer flag `--name`, given as `raw`.
 *
 * @throws Error `Expected <expected> for --<name> but received <raw>` when it is not an
 *   integer in the rule's range.
 */
export function integerFlag(name: string, raw: string, rule: IntegerFlagRule): number {
  const value = Number(raw);
  const max = rule.max ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isInteger(value) || value < rule.min || value > max) {
    throw new Error(`Expected ${rule.expected} for --${name} but received ${raw}`);
  }
  return value;
}

/** The range a number flag accepts (fractions allowed), and how the error names it. */
export interface NumberFlagRule {
  expected: string;
  /** Smallest value accepted, excluded (`--retry-schedule-scale` must be above 0). */
  above: number;
  max?: number;
}

/**
 * The value of the number flag `--name`, given as `raw`.
 *
 * @throws Error `Expected <expected> for --<name> but received <raw>` when it is not a number
 *   in the rule's range.
 */
export function numberFlag(name: string, raw: string, rule: NumberFlagRule): number {
  const value = Number(raw);
  const max = rule.max ?? Number.MAX_VALUE;
  if (raw.trim() === '' || !Number.isFinite(value) || value <= rule.above || value > max) {
    throw new Error(`Expected ${rule.expected} for --${name} but received ${raw}`);
  }
  return value;
}

/**
 * The flags of Event Grid's delivery, shared by `npm start` and `npm run load`. Without a
 * default where the caller picks one (`--once` compresses the schedule, the response window
 * defaults to `IMG_RESPONSE_WINDOW_MS`).
 */
export const DELIVERY_FLAGS = {
  'delivery-timeout-s': { type: 'string' },
  'retry-schedule-scale': { type: 'string' },
  'max-attempts': { type: 'string', default: '10' },
} as const;

/** Event Grid's delivery as the flags set it; undefined where a flag was not given. */
export interface DeliveryFlags {
  /** `--delivery-timeout-s`: the response window, in seconds. */
  responseWindowS: number | undefined;
  /** `--retry-schedule-scale`: multiplies the retry waits. */
  scheduleScale: number | undefined;
  /** `--max-attempts`: deliveries before an event is dead-lettered (1–30, as a subscription). */
  maxAttempts: number;
}

/** Reads the delivery flags of parsed `values`. */
export function deliveryFlags(values: {
  'delivery-timeout-s'?: string;
  'retry-schedule-scale'?: string;
  'max-attempts': string;
}): DeliveryFlags {
  const timeout = values['delivery-timeout-s'];
  const scale = values['retry-schedule-scale'];
  return {
    responseWindowS:
      timeout === undefined
        ? undefined
        : integerFlag('delivery-timeout-s', timeout, {
            expected: 'seconds (1 to 600)',
            min: 1,
            max: 600,
          }),
    scheduleScale:
      scale === undefined
        ? undefined
        : numberFlag('retry-schedule-scale', scale, { expected: 'a number above 0', above: 0 }),
    maxAttempts: integerFlag('max-attempts', values['max-attempts'], {
      expected: 'an integer from 1 to 30',
      min: 1,
      max: 30,
    }),
  };
}
