/**
 * What the load tool knows about each image of a burst while it runs: when it was uploaded
 * and as which eTag, when storage accepted its metadata document (the last write of a
 * processed image), and whether it was dead-lettered. Progress is any of the last two.
 */
import { performance } from 'node:perf_hooks';
import { metadataName } from '../../../lib/naming.js';

/** One uploaded image: when (performance clock, ms) and the eTag storage gave it. */
export interface Upload {
  at: number;
  eTag: string;
}

/** The state of a load run, image by image. */
export class LoadProgress {
  /** Uploaded images by name. */
  readonly uploads = new Map<string, Upload>();
  /** When each image's metadata was first written (performance clock, ms). */
  readonly metadataAt = new Map<string, number>();
  readonly deadLettered = new Set<string>();
  /** The image each expected metadata blob belongs to. */
  readonly #sources = new Map<string, string>();
  #lastProgressAt = performance.now();

  /** Notes an image about to be uploaded, so its metadata write is recognised. */
  expect(name: string): void {
    this.#sources.set(metadataName(name), name);
  }

  uploaded(name: string, eTag: string): void {
    this.uploads.set(name, { at: performance.now(), eTag });
  }

  /** Storage accepted a write of `blob` in the metadata container. */
  metadataWritten(blob: string): void {
    const source = this.#sources.get(blob);
    if (source === undefined || this.metadataAt.has(source)) return;
    this.metadataAt.set(source, performance.now());
    this.#lastProgressAt = performance.now();
  }

  deadLetter(name: string): void {
    this.deadLettered.add(name);
    this.#lastProgressAt = performance.now();
  }

  /** Uploaded images that have metadata or were dead-lettered. */
  accounted(): number {
    return [...this.uploads.keys()].filter(
      (name) => this.metadataAt.has(name) || this.deadLettered.has(name),
    ).length;
  }

  /** Milliseconds since an image was last accounted for (or since the run began). */
  sinceProgressMs(): number {
    return performance.now() - this.#lastProgressAt;
  }

  /** Upload-to-metadata times of the images with metadata, in ms. */
  latencies(): number[] {
    return [...this.metadataAt].map(([name, at]) => at - this.uploads.get(name)!.at);
  }
}
