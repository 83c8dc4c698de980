/**
 * Writes results under the output root, and nowhere else. Every destination is checked three
 * ways: the relative name has no `..`, absolute or empty segment; the resolved path lies in
 * its container; and the real path of its folder (after symlinks) is still under the root.
 * Files are written to a fresh temporary name and renamed into place, so a symlink planted at
 * the destination is replaced, never followed.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, realpath, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * A folder under the output root, named like the pipeline's blob containers: one per rendition
 * (`output`, `thumbnails` by default) and `metadata`. One plain path segment.
 */
export type Container = string;

/** A destination that would land outside the output root; the file is not written. */
export class UnsafePathError extends Error {
  override readonly name = 'UnsafePathError';
  readonly code = 'UNSAFE_PATH';
  readonly permanent = true;
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/**
 * The absolute destination of `name` in `container` under `root`; throws UnsafePathError
 * when the name could escape (`..`, absolute paths, drive letters, backslashes, NUL).
 */
export function destinationPath(root: string, container: Container, name: string): string {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(container)) {
    throw new UnsafePathError(
      `Refusing to write into "${container}": a folder must be one plain lower-case name.`,
    );
  }
  const segments = name.split(/[/\\]/);
  const bad = segments.find(
    (segment) =>
      segment === '' ||
      segment === '.' ||
      segment === '..' ||
      segment.includes('\0') ||
      /^[A-Za-z]:$/.test(segment),
  );
  if (bad !== undefined || name.length === 0) {
    throw new UnsafePathError(
      `Refusing to write "${name}": every path segment must be a plain name.`,
    );
  }
  const base = path.resolve(root, container);
  const destination = path.resolve(base, ...segments);
  if (!isInside(base, destination)) {
    throw new UnsafePathError(`Refusing to write "${name}": it resolves outside ${base}.`);
  }
  return destination;
}

/** Writes output files under one root directory, checking every destination. */
export class OutputTree {
  private constructor(
    /** The root as given, resolved. */
    readonly root: string,
    /** The root's real path (symlinks resolved), the boundary every write is checked against. */
    private readonly realRoot: string,
  ) {}

  /** Creates the root if needed and pins its real path. */
  static async open(root: string): Promise<OutputTree> {
    const resolved = path.resolve(root);
    await mkdir(resolved, { recursive: true });
    return new OutputTree(resolved, await realpath(resolved));
  }

  /** Path of `name` in `container` relative to the root, with `/` separators (for reports). */
  relative(container: Container, name: string): string {
    return path
      .relative(this.root, destinationPath(this.root, container, name))
      .split(path.sep)
      .join('/');
  }

  /**
   * Creates `folder` one level at a time below the root, refusing any level that is a
   * symbolic link (mkdir -p would follow it and create folders outside the root).
   */
  private async ensureFolder(folder: string, name: string): Promise<void> {
    let current = this.realRoot;
    for (const segment of path.relative(this.realRoot, folder).split(path.sep)) {
      current = path.join(current, segment);
      const info = await lstat(current).catch(() => undefined);
      if (info === undefined) {
        await mkdir(current).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'EEXIST') throw error;
        });
      } else if (info.isSymbolicLink()) {
        throw new UnsafePathError(
          `Refusing to write "${name}": ${current} is a symbolic link, which could lead outside the root.`,
        );
      } else if (!info.isDirectory()) {
        throw new UnsafePathError(`Cannot write "${name}": ${current} is not a folder.`);
      }
    }
  }

  /** Writes `bytes` as `name` in `container`; throws UnsafePathError instead of escaping. */
  async write(container: Container, name: string, bytes: Uint8Array | string): Promise<void> {
    const destination = destinationPath(this.realRoot, container, name);
    const folder = path.dirname(destination);
    await this.ensureFolder(folder, name);
    const realFolder = await realpath(folder);
    if (!isInside(this.realRoot, realFolder)) {
      throw new UnsafePathError(`Refusing to write "${name}": ${folder} leads outside the root.`);
    }
    const target = path.join(realFolder, path.basename(destination));
    const temporary = path.join(
      realFolder,
      `.${path.basename(destination)}.${randomBytes(6).toString('hex')}.tmp`,
    );
    try {
      await writeFile(temporary, bytes, { flag: 'wx' });
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }
}
