/**
 * `npm run package`: builds the app and writes `package.zip`, the deployment package Flex
 * Consumption expects: `host.json` and `package.json` at the root, the compiled `dist/`, and
 * production `node_modules` installed from the lockfile. Nothing is built on the server.
 *
 * The staged folder stays in `.local/package/`: azure.yaml points azd at it (`dist`). Deploy
 * the zip with `az functionapp deployment source config-zip --src package.zip …` (see docs/deploy.md).
 */
import { spawnSync } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cp, lstat, readdir, realpath, stat } from 'node:fs/promises';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import yazl from 'yazl';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The staged deployment folder (git-ignored); azd deploys it, the zip is made from it. */
export const STAGE_DIR = join(ROOT, '.local', 'package');

/** Stable codes of the ways packaging can fail. */
export type PackageErrorCode = 'BUILD_FAILED' | 'INSTALL_FAILED' | 'MISSING_ENTRY';

/** A packaging failure with a stable `code`. */
export class PackageError extends Error {
  override readonly name = 'PackageError';
  constructor(
    readonly code: PackageErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The subset of package.json this script reads and rewrites. */
export interface Manifest {
  name?: string;
  main?: string;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  [key: string]: unknown;
}

/**
 * The package.json shipped in the zip: no scripts (so installing it never runs our `prepare`
 * build, and nothing tries a remote build) and no devDependencies; everything else kept.
 */
export function deploymentManifest(manifest: Manifest): Manifest {
  const shipped: Manifest = { ...manifest };
  delete shipped.scripts;
  delete shipped.devDependencies;
  return shipped;
}

/** Top-level things the deployment package holds, relative to the staging directory. */
const SHIPPED = ['host.json', 'package.json', 'package-lock.json', 'dist', 'node_modules'];

/** Folders never needed at run time (executable shims are symlinks, caches are local). */
function skipped(relativePath: string): boolean {
  const parts = relativePath.split(sep);
  return (parts[0] === 'node_modules' && parts[1] === '.bin') || parts.includes('.cache');
}

/** Every file under `dir` (symlinked files resolved), as paths relative to `dir`, sorted. */
async function listFiles(dir: string, under = ''): Promise<string[]> {
  const files: string[] = [];
  const entries = await readdir(join(dir, under), { withFileTypes: true });
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(under, entry.name);
    if (skipped(path)) continue;
    if (entry.isDirectory()) {
      files.push(...(await listFiles(dir, path)));
    } else if (entry.isFile()) {
      files.push(path);
    } else if (entry.isSymbolicLink()) {
      const target = await realpath(join(dir, path))
        .then((resolved) => stat(resolved))
        .catch(() => undefined);
      if (target?.isFile()) files.push(path);
    }
  }
  return files;
}

/**
 * Zips the contents of `dir` (not the folder itself) into `zipPath`, entries at the root with
 * forward slashes and their Unix modes kept. Returns the entries written.
 */
export async function zipDirectory(dir: string, zipPath: string): Promise<string[]> {
  const files = await listFiles(dir);
  const zip = new yazl.ZipFile();
  for (const file of files) {
    const info = await lstat(join(dir, file));
    const mode = info.isSymbolicLink() ? 0o100644 : info.mode;
    zip.addFile(join(dir, file), file.split(sep).join(posix.sep), { mode, compress: true });
  }
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(zipPath));
  return files.map((file) => file.split(sep).join(posix.sep));
}

function writeManifest(dir: string, manifest: Manifest): void {
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

function run(command: string, args: string[], cwd: string, code: PackageErrorCode): void {
  console.log(`> ${command} ${args.join(' ')}${cwd === ROOT ? '' : `  (in ${cwd})`}`);
  const result = spawnSync(command, args, { cwd, stdio: 'inherit' });
  if (result.status !== 0) throw new PackageError(code, `${command} ${args.join(' ')} failed`);
}

/**
 * Builds, stages (compiled code + production dependencies from the lockfile) in
 * {@link STAGE_DIR}, and zips it to `out`. Returns the zip's path, entries and size.
 */
export async function packageApp(
  out = join(ROOT, 'package.zip'),
): Promise<{ zip: string; entries: number; bytes: number }> {
  run('npm', ['run', 'build'], ROOT, 'BUILD_FAILED');
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest;
  const entry = manifest.main ?? 'index.js';
  if (!existsSync(join(ROOT, entry))) {
    throw new PackageError(
      'MISSING_ENTRY',
      `package.json main (${entry}) does not exist after the build.`,
    );
  }
  const stage = STAGE_DIR;
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  await cp(join(ROOT, 'dist'), join(stage, 'dist'), { recursive: true });
  await cp(join(ROOT, 'host.json'), join(stage, 'host.json'));
  await cp(join(ROOT, 'package-lock.json'), join(stage, 'package-lock.json'));
  // npm ci checks package.json against the lockfile, so devDependencies stay listed (but are
  // not installed) until the install is done; scripts go first so `prepare` never runs here.
  const installManifest: Manifest = { ...manifest };
  delete installManifest.scripts;
  writeManifest(stage, installManifest);
  run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund'], stage, 'INSTALL_FAILED');
  writeManifest(stage, deploymentManifest(manifest));
  rmSync(out, { force: true });
  const entries = await zipDirectory(stage, out);
  const unexpected = entries.filter((file) => !SHIPPED.includes(file.split('/')[0] ?? ''));
  if (unexpected.length > 0) console.warn(`note: also packaged ${unexpected.join(', ')}`);
  return { zip: out, entries: entries.length, bytes: (await stat(out)).size };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const result = await packageApp(process.argv[2] ? resolve(process.argv[2]) : undefined);
    const mb = (result.bytes / 1024 / 1024).toFixed(1);
    console.log(`wrote ${relative(process.cwd(), result.zip)}: ${result.entries} files, ${mb} MB`);
  } catch (error) {
    if (!(error instanceof PackageError)) throw error;
    console.error(`FAIL ${error.code}: ${error.message}`);
    process.exitCode = 1;
  }
}
