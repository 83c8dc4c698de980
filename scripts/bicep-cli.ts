/**
 * The real Bicep CLI, obtained from NuGet with `dotnet restore` (tools/bicep/bicep-cli.csproj)
 * and cached under `.tools/`, plus the few operations the infra check and the infra tests need:
 * build, build-params, lint and snapshot, each failing on any diagnostic.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { arch, platform } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (this file lives in scripts/). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Templates and parameters files. */
export const BICEP_DIR = join(ROOT, 'bicep');
/** Compiled ARM JSON and snapshots (git-ignored). */
export const ARM_DIR = join(ROOT, '.tools', 'arm');

const TOOLS_PROJECT = join(ROOT, 'tools', 'bicep', 'bicep-cli.csproj');
const NUGET_DIR = join(ROOT, '.tools', 'nuget');

/** Stable codes of the ways the Bicep toolchain can fail. */
export type BicepErrorCode = 'BICEP_UNAVAILABLE' | 'BICEP_FAILED' | 'BICEP_DIAGNOSTICS';

/** A failure of the Bicep toolchain, with a stable `code`. */
export class BicepError extends Error {
  override readonly name = 'BicepError';
  constructor(
    readonly code: BicepErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** How to get the toolchain on a machine that lacks it: printed by the infra check. */
export const INSTALL_HINT = [
  'The infra check needs the Bicep CLI. It fetches it from NuGet with the .NET SDK:',
  '  - install the .NET SDK 8 or newer: https://dotnet.microsoft.com/download',
  '    (Debian/Ubuntu: `sudo apt-get install dotnet-sdk-8.0`; macOS: `brew install dotnet`),',
  '    then run `npm run infra:check` again; or',
  '  - install the Bicep CLI yourself (`az bicep install`, or https://aka.ms/bicep-install)',
  '    and point BICEP_CLI at it: `BICEP_CLI=~/.azure/bin/bicep npm run infra:check`.',
].join('\n');

/** The NuGet runtime id of the Bicep CLI build for this machine, if one is published. */
function bicepRid(): string | undefined {
  const os = { linux: 'linux', darwin: 'osx', win32: 'win' }[platform() as string];
  const cpu = { x64: 'x64', arm64: 'arm64' }[arch() as string];
  return os && cpu ? `${os}-${cpu}` : undefined;
}

/** The pinned Bicep version, read from the tools project so there is one place to change it. */
export function bicepVersion(): string {
  const match = /<BicepVersion>([^<]+)<\/BicepVersion>/.exec(readFileSync(TOOLS_PROJECT, 'utf8'));
  if (!match?.[1]) throw new BicepError('BICEP_FAILED', `No <BicepVersion> in ${TOOLS_PROJECT}`);
  return match[1];
}

function restoredCliPath(rid: string): string {
  const exe = platform() === 'win32' ? 'bicep.exe' : 'bicep';
  const pkg = `azure.bicep.commandline.${rid}`;
  return join(NUGET_DIR, pkg, bicepVersion(), 'tools', exe);
}

function hasDotnet(): boolean {
  const probe = spawnSync('dotnet', ['--version'], { encoding: 'utf8' });
  return probe.status === 0;
}

/**
 * Path of a working Bicep CLI: `BICEP_CLI` when set, else the pinned NuGet build, restored on
 * first use (a second call is a file check). Throws BICEP_UNAVAILABLE when neither can be had.
 */
export function ensureBicep(): string {
  const override = process.env['BICEP_CLI'];
  if (override) {
    if (!existsSync(override)) {
      throw new BicepError(
        'BICEP_UNAVAILABLE',
        `BICEP_CLI points at ${override}, which does not exist.`,
      );
    }
    return override;
  }
  const rid = bicepRid();
  if (!rid)
    throw new BicepError('BICEP_UNAVAILABLE', `No Bicep CLI build for ${platform()}-${arch()}.`);
  const cli = restoredCliPath(rid);
  if (!existsSync(cli)) {
    if (!hasDotnet())
      throw new BicepError('BICEP_UNAVAILABLE', 'The .NET SDK (`dotnet`) is not installed.');
    const restore = spawnSync(
      'dotnet',
      ['restore', TOOLS_PROJECT, `-p:BicepRid=${rid}`, '--verbosity', 'quiet', '--nologo'],
      {
        encoding: 'utf8',
        env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' },
      },
    );
    if (restore.status !== 0 || !existsSync(cli)) {
      throw new BicepError(
        'BICEP_UNAVAILABLE',
        `dotnet restore of ${relative(ROOT, TOOLS_PROJECT)} did not produce ${relative(ROOT, cli)}:\n${restore.stdout}${restore.stderr}`,
      );
    }
  }
  // NuGet does not keep the executable bit on every platform.
  if (platform() !== 'win32') chmodSync(cli, 0o755);
  return cli;
}

/** Diagnostics (errors, warnings, infos) in Bicep's default format: `file(line,col) : Level CODE: text`. */
function diagnosticsIn(output: string): string[] {
  return output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /\(\d+,\d+\) : (Error|Warning|Info)\b/.test(line));
}

/**
 * Runs the Bicep CLI and fails on a non-zero exit or on any diagnostic: the linter's rules are
 * configured as errors, and a warning is a defect too.
 */
export function runBicep(args: string[], env: Record<string, string> = {}): string {
  const cli = ensureBicep();
  const run = spawnSync(cli, args, {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, ...env, DOTNET_CLI_TELEMETRY_OPTOUT: '1' },
  });
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}`;
  const diagnostics = diagnosticsIn(output);
  if (run.status !== 0 || diagnostics.length > 0) {
    const detail = diagnostics.length > 0 ? diagnostics.join('\n') : output || String(run.error);
    throw new BicepError(
      diagnostics.length > 0 ? 'BICEP_DIAGNOSTICS' : 'BICEP_FAILED',
      `bicep ${args.join(' ')} failed:\n${detail}`,
    );
  }
  return output;
}

/** Files directly in `dir` ending with `extension`, sorted. */
export function filesIn(dir: string, extension: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(extension))
    .sort()
    .map((name) => join(dir, name));
}

/** Where compiled parameters files go (apart from templates: `main.bicepparam` would clash). */
export const PARAMS_DIR = join(ARM_DIR, 'params');

/**
 * Compiles every top-level template (bicep/*.bicep; modules are compiled into them) to
 * `.tools/arm/<name>.json` in one CLI run, and returns the paths by name.
 */
export function buildTemplates(): Record<string, string> {
  mkdirSync(ARM_DIR, { recursive: true });
  runBicep(['build', '--pattern', 'bicep/*.bicep', '--outdir', ARM_DIR]);
  return compiledPaths(filesIn(BICEP_DIR, '.bicep'), '.bicep', ARM_DIR);
}

/** Compiles every parameters file (bicep/*.bicepparam) to `.tools/arm/params/<name>.json`. */
export function buildAllParams(env: Record<string, string> = {}): Record<string, string> {
  mkdirSync(PARAMS_DIR, { recursive: true });
  runBicep(['build-params', '--pattern', 'bicep/*.bicepparam', '--outdir', PARAMS_DIR], env);
  return compiledPaths(filesIn(BICEP_DIR, '.bicepparam'), '.bicepparam', PARAMS_DIR);
}

function compiledPaths(sources: string[], extension: string, dir: string): Record<string, string> {
  const paths: Record<string, string> = {};
  for (const source of sources) {
    const name = basename(source, extension);
    const out = join(dir, `${name}.json`);
    if (!existsSync(out)) throw new BicepError('BICEP_FAILED', `bicep did not write ${out}`);
    paths[name] = out;
  }
  return paths;
}

/**
 * Lints every template (modules included) and parameters file under bicep/ with
 * bicep/bicepconfig.json, where the recommended rules are errors.
 */
export function lintAll(): void {
  runBicep(['lint', '--pattern', 'bicep/**/*.bicep']);
  runBicep(['lint', '--pattern', 'bicep/**/*.bicepparam']);
}

/** Where a deployment is predicted to land: fake but well-formed ids, the dev resource group. */
export const SNAPSHOT_TARGET = {
  tenantId: '00000000-0000-0000-0000-00000000a11e',
  subscriptionId: '00000000-0000-0000-0000-00000000b0b0',
  resourceGroup: 'rg-serverless-img-dev',
  location: 'westeurope',
} as const;

/** One resource as Bicep predicts it will be deployed, expressions evaluated where possible. */
export interface PredictedResource {
  id: string;
  type: string;
  name: string;
  apiVersion: string;
  location?: string;
  kind?: string;
  sku?: Record<string, unknown>;
  identity?: Record<string, unknown>;
  tags?: Record<string, string>;
  properties?: Record<string, unknown>;
  [key: string]: unknown;
}

/** `bicep snapshot` output: the resources and outputs a parameters file would deploy. */
export interface Snapshot {
  predictedResources: PredictedResource[];
  diagnostics: unknown[];
  outputs: Record<string, unknown>;
}

/**
 * Predicts what a parameters file deploys (`bicep snapshot`, offline): the compiled ARM template
 * evaluated with the parameters against {@link SNAPSHOT_TARGET}. `extraParams` (Bicep source
 * lines) makes a variant, e.g. with private endpoints on. Works on a copy of bicep/ under
 * `.tools/arm/`, since the CLI writes the snapshot beside the parameters file.
 */
export function snapshot(
  paramsFile: string,
  options: { env?: Record<string, string>; extraParams?: string[]; variant?: string } = {},
): Snapshot {
  const workDir = join(ARM_DIR, 'src', options.variant ?? basename(paramsFile, '.bicepparam'));
  rmSync(workDir, { recursive: true, force: true });
  cpSync(BICEP_DIR, workDir, { recursive: true });
  let target = join(workDir, relative(BICEP_DIR, paramsFile));
  if (options.extraParams?.length) {
    const source = readFileSync(target, 'utf8');
    const overridden = new Set(options.extraParams.map((line) => line.split('=')[0]?.trim()));
    const kept = source.split('\n').filter((line) => !overridden.has(line.split('=')[0]?.trim()));
    target = join(workDir, `${options.variant ?? 'variant'}.bicepparam`);
    writeText(target, [...kept, ...options.extraParams, ''].join('\n'));
  }
  runBicep(
    [
      'snapshot',
      target,
      '--mode',
      'overwrite',
      '--tenant-id',
      SNAPSHOT_TARGET.tenantId,
      '--subscription-id',
      SNAPSHOT_TARGET.subscriptionId,
      '--resource-group',
      SNAPSHOT_TARGET.resourceGroup,
      '--location',
      SNAPSHOT_TARGET.location,
    ],
    options.env,
  );
  const file = target.replace(/\.bicepparam$/, '.snapshot.json');
  return JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
}

function writeText(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}
