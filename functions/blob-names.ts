/**
 * Which input names can have results, and where a record goes when they cannot. Names come
 * from events and uploaders: never trusted. The storage SDK collapses `.` and `..` segments
 * into the URL path, so `input/../output/x.jpg` would read and write in another container;
 * Azure refuses names over 1,024 characters. Such inputs get a failure record under a name
 * derived from a hash, and nothing else is read or written.
 */
import { createHash } from 'node:crypto';
import type { CodedError } from '../lib/errors.js';
import { metadataName } from '../lib/naming.js';
import { InvalidNameError, NameTooLongError } from './errors.js';

/**
 * Azure's limit on a blob name, in characters of the name itself (not of its URL-encoded
 * form). We count UTF-16 code units (`string.length`), never fewer than Azure's characters.
 */
export const MAX_BLOB_NAME_LENGTH = 1024;

/**
 * The longest name a result of `sourceName` gets: its metadata document's (renditions keep the
 * input's name exactly).
 */
export function longestResultName(sourceName: string): string {
  return metadataName(sourceName);
}

/** Whether every result of `sourceName` gets a name Azure accepts. */
export function resultNamesFit(sourceName: string): boolean {
  return longestResultName(sourceName).length <= MAX_BLOB_NAME_LENGTH;
}

/**
 * What makes `name` unsafe to use as a path, if anything: an empty, `.` or `..` segment, a
 * backslash (some clients turn it into `/`), or a control character.
 */
export function unsafeNameDetail(name: string): string | undefined {
  if (name.includes('\\')) return 'a backslash';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'a control character';
  const segments = name.split('/');
  if (segments.some((segment) => segment === '')) return 'an empty path segment';
  if (segments.some((segment) => segment === '.' || segment === '..')) {
    return 'a "." or ".." path segment';
  }
  return undefined;
}

/** Why results of `name` cannot be written, known from the name alone; undefined when they can. */
export function nameRefusal(name: string): CodedError | undefined {
  const unsafe = unsafeNameDetail(name);
  if (unsafe !== undefined) return new InvalidNameError(name, unsafe);
  if (!resultNamesFit(name)) {
    return new NameTooLongError(name, longestResultName(name), MAX_BLOB_NAME_LENGTH);
  }
  return undefined;
}

/**
 * Where, in the metadata container, the failure record of a source whose results cannot be
 * named goes: a name that always fits and is always safe, derived from the source name alone.
 */
export function refusedNameRecordName(sourceName: string): string {
  const hash = createHash('sha256').update(sourceName, 'utf8').digest('hex');
  const folder = unsafeNameDetail(sourceName) === undefined ? '_long-names' : '_invalid-names';
  return `${folder}/${hash}.json`;
}

/** The metadata document of `sourceName`: `<name>.json`, or its refused-name failure record. */
export function metadataLocation(sourceName: string): string {
  return nameRefusal(sourceName) === undefined
    ? metadataName(sourceName)
    : refusedNameRecordName(sourceName);
}
