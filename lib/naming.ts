/**
 * The naming rule shared by the CLI and the function: every result keeps the input's name
 * exactly (`output/<name>`, `thumbnails/<name>`, whatever their format, which their
 * Content-Type and the metadata say), and the metadata document is `<name>.json`. Two inputs
 * never share a result name, since no extension is ever changed.
 */

/** Name of the metadata document for `sourceName`. */
export function metadataName(sourceName: string): string {
  return `${sourceName}.json`;
}
