/**
 * The library's name and version, recorded in every metadata document. The version comes from
 * package.json through a JSON import, so it is bundled at build time and never read at run time.
 */
import packageJson from '../package.json' with { type: 'json' };

/** Name recorded in metadata documents and used as the tracer name. */
export const LIBRARY_NAME: string = packageJson.name;

/** Version of this package (package.json). */
export const LIBRARY_VERSION: string = packageJson.version;
