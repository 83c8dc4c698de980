/**
 * The naming rule shared by the CLI and the function: outputs keep the source's relative
 * path and name; the extension follows the output format; metadata is `<name>.json`.
 */
import type { OutputFormat } from './types.js';

const EXTENSIONS: Record<OutputFormat, { keep: readonly string[]; use: string }> = {
  jpeg: { keep: ['.jpg', '.jpeg', '.jpe', '.jfif'], use: '.jpg' },
  png: { keep: ['.png'], use: '.png' },
};

/** Name of the resized image and the thumbnail for `sourceName` encoded as `format`. */
export function outputName(sourceName: string, format: OutputFormat): string {
  const slash = sourceName.lastIndexOf('/');
  const dot = sourceName.lastIndexOf('.');
  const hasExtension = dot > slash + 1;
  const extension = hasExtension ? sourceName.slice(dot).toLowerCase() : '';
  const rule = EXTENSIONS[format];
  if (rule.keep.includes(extension)) return sourceName;
  return (hasExtension ? sourceName.slice(0, dot) : sourceName) + rule.use;
}

/** Name of the metadata document for `sourceName`. */
export function metadataName(sourceName: string): string {
  return `${sourceName}.json`;
}
