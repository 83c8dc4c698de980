/**
 * Collects the files to process from the paths on the command line. A folder is walked
 * recursively and its files are named relative to it; a file named directly keeps its base
 * name. Symlinked folders are never followed (no cycles, no escaping the input tree), and a
 * symlinked file is read only when its target lies inside the folder being walked. The file a
 * `--renditions` argument names is read here too.
 */
import type { Dirent } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { RenditionSpec } from '../options.js';
import { parseRenditionsArgument, UsageError } from './args.js';

/** One file to process. */
export interface InputFile {
  /** Absolute path to read. */
  path: string;
  /** Relative name with `/` separators: the name of its results and (plus .json) metadata. */
  name: string;
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
  const excluded = exclude === undefined ? undefined : await realpath(exclude).catch(() => exclude);
  const collection = new Collection(excluded);
  for (const input of inputs) await addInput(collection, input);
  return { files: collection.files, skipped: collection.skipped };
}

/** The files gathered so far, and those left out. */
class Collection implements CollectedInputs {
  readonly files: InputFile[] = [];
  readonly skipped: SkippedInput[] = [];
  /** Name to the path that took it. */
  readonly #taken = new Map<string, string>();

  /** The real path of the output root, left out of every walk. */
  constructor(readonly excluded: string | undefined) {}

  skip(path: string, reason: string): void {
    this.skipped.push({ path, reason });
  }

  /**
   * Adds a file, unless its name is taken (two folders named on the command line can hold the
   * same relative name). Distinct names never share a result: results keep the input's name.
   */
  add(file: InputFile): void {
    const previous = this.#taken.get(file.name);
    if (previous !== undefined) {
      this.skip(file.path, `its name ${file.name} is already taken by ${previous}`);
      return;
    }
    this.#taken.set(file.name, file.path);
    this.files.push(file);
  }
}

/** One path from the command line: a folder is walked, a file is added under its base name. */
async function addInput(collection: Collection, input: string): Promise<void> {
  const absolute = path.resolve(input);
  const info = await stat(absolute).catch(() => undefined);
  if (info === undefined) throw new UsageError(`${input}: no such file or folder.`);
  const real = await realpath(absolute);
  const { excluded } = collection;
  if (excluded !== undefined && (real === excluded || isInside(excluded, real))) {
    throw new UsageError(`${input} is inside the output folder; process it from elsewhere.`);
  }
  if (info.isDirectory()) {
    await walk(collection, real, real, '');
  } else if (info.isFile()) {
    collection.add({ path: absolute, name: path.basename(absolute) });
  } else {
    throw new UsageError(`${input}: not a file or folder.`);
  }
}

/** Adds the files under `folder` (inside the walked `root`), named `prefix/<relative path>`. */
async function walk(
  collection: Collection,
  root: string,
  folder: string,
  prefix: string,
): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch (error) {
    collection.skip(folder, `cannot be read (${(error as Error).message})`);
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = path.join(folder, entry.name);
    const name = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (collection.excluded !== undefined && full === collection.excluded) continue;
    if (entry.isDirectory()) {
      await walk(collection, root, full, name);
    } else if (entry.isFile()) {
      collection.add({ path: full, name });
    } else if (entry.isSymbolicLink()) {
      await addLinkedFile(collection, root, full, name);
    } else {
      collection.skip(full, 'is not a regular file');
    }
  }
}

/** A symbolic link is read only when it leads to a file inside the walked folder. */
async function addLinkedFile(
  collection: Collection,
  root: string,
  full: string,
  name: string,
): Promise<void> {
  const target = await realpath(full).catch(() => undefined);
  const targetStat = target === undefined ? undefined : await stat(target).catch(() => undefined);
  if (target === undefined || targetStat === undefined) {
    collection.skip(full, 'is a broken symbolic link');
  } else if (targetStat.isDirectory()) {
    collection.skip(full, 'is a symbolic link to a folder (not followed)');
  } else if (!isInside(root, target)) {
    collection.skip(full, 'is a symbolic link to a file outside the folder');
  } else if (targetStat.isFile()) {
    collection.add({ path: target, name });
  }
}

/**
 * Reads the file `--renditions` names and checks its list as an inline one is checked (the same
 * message for the same mistake). Throws UsageError when it cannot be read or is not a valid list.
 */
export async function readRenditionsFile(file: string): Promise<RenditionSpec[]> {
  let text: string;
  try {
    text = await readFile(path.resolve(file), 'utf8');
  } catch (error) {
    throw new UsageError(
      `--renditions ${file}: not a JSON list, and no file can be read there (${(error as Error).message}).`,
    );
  }
  return parseRenditionsArgument(text);
}
