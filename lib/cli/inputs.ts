/**
 * Collects the files to process from the paths on the command line. A folder is walked
 * recursively and its files are named relative to it; a file named directly keeps its base
 * name. Symlinked folders are never followed (no cycles, no escaping the input tree), and a
 * symlinked file is read only when its target lies inside the folder being walked.
 */
import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { outputName } from '../naming.js';
import { UsageError } from './args.js';

/** One file to process. */
export interface InputFile {
  /** Absolute path to read. */
  path: string;
  /** Relative name with `/` separators: the name of its outputs and metadata. */
  name: string;
  /**
   * An earlier input whose output could have the same name (`scan.png` and `scan.jpg` may
   * both become `scan.jpg`): this one fails with NAME_CONFLICT rather than overwrite it.
   */
  conflictsWith?: string;
}

/** An entry left out, and why (reported as a warning). */
export interface SkippedInput {
  path: string;
  reason: string;
}

export interface CollectedInputs {
  files: InputFile[];
  skipped: SkippedInput[];
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/**
 * Lists the files under `inputs`, sorted by name within each input, leaving out `exclude`
 * (the output root, so a rerun does not process its own results) and duplicate names.
 */
export async function collectInputs(
  inputs: readonly string[],
  exclude?: string,
): Promise<CollectedInputs> {
  const files: InputFile[] = [];
  const skipped: SkippedInput[] = [];
  const excluded = exclude === undefined ? undefined : await realpath(exclude).catch(() => exclude);
  const taken = new Map<string, string>();
  const outputs = new Map<string, string>();

  const add = (file: InputFile): void => {
    const previous = taken.get(file.name);
    if (previous !== undefined) {
      skipped.push({
        path: file.path,
        reason: `its name ${file.name} is already taken by ${previous}`,
      });
      return;
    }
    taken.set(file.name, file.path);
    const candidates = [outputName(file.name, 'jpeg'), outputName(file.name, 'png')];
    const conflict = candidates.map((name) => outputs.get(name)).find((name) => name !== undefined);
    for (const candidate of candidates) {
      if (!outputs.has(candidate)) outputs.set(candidate, file.name);
    }
    files.push(conflict === undefined ? file : { ...file, conflictsWith: conflict });
  };

  const walk = async (root: string, folder: string, prefix: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch (error) {
      skipped.push({ path: folder, reason: `cannot be read (${(error as Error).message})` });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = path.join(folder, entry.name);
      const name = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (excluded !== undefined && full === excluded) continue;
      if (entry.isDirectory()) {
        await walk(root, full, name);
      } else if (entry.isFile()) {
        add({ path: full, name });
      } else if (entry.isSymbolicLink()) {
        const target = await realpath(full).catch(() => undefined);
        const targetStat =
          target === undefined ? undefined : await stat(target).catch(() => undefined);
        if (target === undefined || targetStat === undefined) {
          skipped.push({ path: full, reason: 'is a broken symbolic link' });
        } else if (targetStat.isDirectory()) {
          skipped.push({ path: full, reason: 'is a symbolic link to a folder (not followed)' });
        } else if (!isInside(root, target)) {
          skipped.push({ path: full, reason: 'is a symbolic link to a file outside the folder' });
        } else if (targetStat.isFile()) {
          add({ path: target, name });
        }
      } else {
        skipped.push({ path: full, reason: 'is not a regular file' });
      }
    }
  };

  for (const input of inputs) {
    const absolute = path.resolve(input);
    const info = await stat(absolute).catch(() => undefined);
    if (info === undefined) throw new UsageError(`${input}: no such file or folder.`);
    const real = await realpath(absolute);
    if (excluded !== undefined && (real === excluded || isInside(excluded, real))) {
      throw new UsageError(`${input} is inside the output folder; process it from elsewhere.`);
    }
    if (info.isDirectory()) {
      await walk(real, real, '');
    } else if (info.isFile()) {
      add({ path: absolute, name: path.basename(absolute) });
    } else {
      throw new UsageError(`${input}: not a file or folder.`);
    }
  }
  return { files, skipped };
}
