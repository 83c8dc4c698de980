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
