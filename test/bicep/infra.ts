/**
 * Shared fixture of the infra tests: the templates compiled by the real Bicep CLI and the
 * deployments they predict (`bicep snapshot`), computed once per test run.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'mocha';
import {
  BICEP_DIR,
  BicepError,
  INSTALL_HINT,
  type PredictedResource,
  type Snapshot,
  buildTemplates,
  ensureBicep,
  snapshot,
} from '../../scripts/bicep-cli.js';

export type { PredictedResource, Snapshot };

/** Built-in role definition ids the templates may grant. */
export const ROLE = {
  blobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  blobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  blobDataReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
  queueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  tableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb',
  eventGridDataSender: 'd5a91429-5739-47e2-a06b-3470a27159e7',
} as const;

/** Names main.bicep outputs for the subscription step, as the post-deploy hook sees them. */
export interface MainOutputs {
  FUNCTION_APP_NAME: string;
  SYSTEM_TOPIC_NAME: string;
  IMAGES_STORAGE_ACCOUNT: string;
  HOST_STORAGE_ACCOUNT: string;
  EVENTS_TOPIC_NAME: string;
  EVENTS_TOPIC_ENDPOINT: string;
  BACKFILL_TOPIC_NAME: string;
  BACKFILL_TOPIC_ENDPOINT: string;
}

/** Everything the infra tests look at. */
export interface Infra {
  /** Compiled ARM JSON text of each top-level template, by file name without extension. */
  compiled: Record<'main' | 'subscription', string>;
  /** What main.dev.bicepparam deploys into rg-serverless-img-dev. */
  dev: Snapshot;
  /** What the Event Grid subscription step deploys, fed main's outputs like the hook. */
  subscription: Snapshot;
  outputs: MainOutputs;
}

let cached: Infra | undefined;

/** Compiles and snapshots once; later calls reuse the result. */
export function loadInfra(): Infra {
  if (cached) return cached;
  const templates = buildTemplates();
  const compiled = {
    main: readFileSync(templates['main']!, 'utf8'),
    subscription: readFileSync(templates['subscription']!, 'utf8'),
  };
  const dev = snapshot(join(BICEP_DIR, 'main.dev.bicepparam'), { env: { ALERT_EMAIL: '' } });
  const outputs = dev.outputs as unknown as MainOutputs;
  const subscription = snapshot(join(BICEP_DIR, 'subscription.bicepparam'), {
    env: {
      FUNCTION_APP_NAME: outputs.FUNCTION_APP_NAME,
      SYSTEM_TOPIC_NAME: outputs.SYSTEM_TOPIC_NAME,
      IMAGES_STORAGE_ACCOUNT: outputs.IMAGES_STORAGE_ACCOUNT,
      BACKFILL_TOPIC_NAME: outputs.BACKFILL_TOPIC_NAME,
    },
  });
  cached = { compiled, dev, subscription, outputs };
  return cached;
}

/**
 * What main.dev.bicepparam deploys with some parameters changed (`extraParams`, Bicep source
 * lines such as `param malwareScanning = true`), with no alert email unless `env` says otherwise.
 */
export function devVariant(
  variant: string,
  extraParams: string[],
  env: Record<string, string> = { ALERT_EMAIL: '' },
): Snapshot {
  return snapshot(join(BICEP_DIR, 'main.dev.bicepparam'), { variant, env, extraParams });
}

/**
 * Mocha `before` helper: skips the suite when the Bicep CLI cannot be had on a developer's
 * machine (saying how to get it), but fails in CI, where the infra tests must run.
 */
export function requireBicep(context: Context): void {
  try {
    ensureBicep();
  } catch (error) {
    if (error instanceof BicepError && error.code === 'BICEP_UNAVAILABLE' && !process.env['CI']) {
      console.warn(`Skipping infra tests: ${error.message}\n${INSTALL_HINT}`);
      context.skip();
      return;
    }
    throw error;
  }
}

/** Resources of `type` in a snapshot. */
export function ofType(snap: Snapshot, type: string): PredictedResource[] {
  return snap.predictedResources.filter((resource) => resource.type === type);
}

/** The one resource of `type` whose name ends with `nameSuffix` (throws when not exactly one). */
export function one(snap: Snapshot, type: string, nameSuffix = ''): PredictedResource {
  const found = ofType(snap, type).filter((resource) => resource.name.endsWith(nameSuffix));
  if (found.length !== 1) {
    throw new Error(`Expected one ${type} named *${nameSuffix}, found ${found.length}`);
  }
  return found[0]!;
}

/**
 * The scope a role assignment applies to: its id up to `/providers/Microsoft.Authorization/`,
 * or, when its name depends on the deployer (known only at deployment), the first argument of
 * the `extensionResourceId(scope, …)` expression Bicep leaves in its place.
 */
export function scopeOf(assignment: PredictedResource): string {
  const marker = '/providers/Microsoft.Authorization/roleAssignments/';
  const at = assignment.id.indexOf(marker);
  if (at >= 0) return assignment.id.slice(0, at);
  const pending =
    /^\[extensionResourceId\('([^']+)', 'Microsoft\.Authorization\/roleAssignments',/.exec(
      assignment.id,
    );
  if (!pending?.[1]) throw new Error(`Not a role assignment id: ${assignment.id}`);
  return pending[1];
}

/** The role definition GUID of a role assignment. */
export function roleOf(assignment: PredictedResource): string {
  const id = String(assignment.properties?.['roleDefinitionId']);
  return id.slice(id.lastIndexOf('/') + 1);
}

/** A typed path into a resource's JSON (`get(r, 'properties', 'siteConfig', 'ftpsState')`). */
export function get(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

/**
 * Evaluates the ARM expressions Bicep leaves in our snapshots when they are built only from
 * string literals, `format(…)` and `environment().suffixes.storage` (taken as Azure's public
 * cloud). Anything else, e.g. a `reference(…)` known only at deployment, is returned unchanged.
 */
export function inPublicCloud(value: unknown): unknown {
  if (typeof value !== 'string' || !value.startsWith('[') || !value.endsWith(']')) return value;
  const source = value.slice(1, -1);
  let at = 0;
  const fail = (): never => {
    throw new SyntaxError(`unsupported expression at ${at}: ${source}`);
  };
  const skipSpaces = (): void => {
    while (source[at] === ' ') at += 1;
  };
  const expression = (): string => {
    skipSpaces();
    if (source[at] === "'") {
      let text = '';
      at += 1;
      while (at < source.length) {
        if (source[at] === "'" && source[at + 1] === "'") {
          text += "'";
          at += 2;
        } else if (source[at] === "'") {
          at += 1;
          return text;
        } else {
          text += source[at];
          at += 1;
        }
      }
      return fail();
    }
    const suffix = 'environment().suffixes.storage';
    if (source.startsWith(suffix, at)) {
      at += suffix.length;
      return 'core.windows.net';
    }
    if (source.startsWith('format(', at)) {
      at += 'format('.length;
      const args = [expression()];
      skipSpaces();
      while (source[at] === ',') {
        at += 1;
        args.push(expression());
        skipSpaces();
      }
      if (source[at] !== ')') fail();
      at += 1;
      const [template = '', ...rest] = args;
      return template.replace(/\{(\d+)\}/g, (_, i: string) => rest[Number(i)] ?? fail());
    }
    return fail();
  };
  try {
    const result = expression();
    return at === source.length ? result : value;
  } catch {
    return value;
  }
}
