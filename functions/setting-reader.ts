/**
 * Typed readers over one environment: every setting goes through one of these rules, so every
 * bad value reads the same ("Expected … for setting … but received …"). `functions/config.ts`
 * builds one over the environment; the sections of the settings use it.
 */
import { ConfigError } from './errors.js';

/** Environment variables, as `process.env` holds them. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Typed readers over one environment: every setting goes through one of these rules. */
export class SettingReader {
  constructor(private readonly env: Env) {}

  optional(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const value = /^[+]?\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new ConfigError(name, `an integer between ${min} and ${max}`, raw);
    }
    return value;
  }

  ratio(name: string, fallback: number): number {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const value = /^[+]?(\d+\.?\d*|\.\d+)$/.test(raw) ? Number(raw) : Number.NaN;
    if (!(value >= 0 && value <= 1)) throw new ConfigError(name, 'a number from 0 to 1', raw);
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const lower = raw.toLowerCase();
    if (lower === 'true' || lower === '1') return true;
    if (lower === 'false' || lower === '0') return false;
    throw new ConfigError(name, 'true or false', raw);
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    throw new ConfigError(name, allowed.map((value) => `'${value}'`).join(' or '), raw);
  }

  containerName(name: string, fallback: string): string {
    const value = this.optional(name) ?? fallback;
    // Azure's rule: 3-63 characters, lowercase letters, digits and single hyphens inside.
    if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(value)) {
      throw new ConfigError(name, 'a container name (3-63 of a-z, 0-9 and single hyphens)', value);
    }
    return value;
  }
}

/** Splits `Key=Value;Key=Value` (connection-string style) into a map with lower-case keys. */
export function keyValuePairs(text: string): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const part of text.split(';')) {
    const index = part.indexOf('=');
    if (index <= 0) continue;
    pairs.set(part.slice(0, index).trim().toLowerCase(), part.slice(index + 1).trim());
  }
  return pairs;
}
