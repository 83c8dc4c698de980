/**
 * The library's name and version, recorded in every metadata document. They come from
 * package.json as a JSON module import, resolved by the module loader (lib code reads no files),
 * so the version can never drift from the package's.
 */
import packageJson from '../package.json' with { type: 'json' };

/** Name recorded in metadata documents and used as the tracer name. */
export const LIBRARY_NAME: string = packageJson.name;

/** Version of this package (package.json). */
export const LIBRARY_VERSION: string = packageJson.version;
