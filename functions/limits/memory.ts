/**
 * How an instance's memory divides: what the host and the image threads keep, and what is
 * left for the images in flight (the memory budget).
 */

/**
 * Memory of an instance that images cannot have: the Functions host and this Node process
 * with the app loaded (`HOST_RESERVE_MB`), and per image thread its V8 heap, the codecs'
 * WASM memories and what small images leave in them (`THREAD_RESERVE_MB`; large images run
 * in threads that exit when done, see `functions/limits/index.ts`). Measured with the load
 * tool (docs/reliability.md).
 */
export const HOST_RESERVE_MB = 384;
export const THREAD_RESERVE_MB = 128;

/** What `concurrency` image threads leave of an instance of `instanceMemoryMb` for images. */
export function imageMemoryMb(instanceMemoryMb: number, concurrency: number): number {
  return instanceMemoryMb - HOST_RESERVE_MB - concurrency * THREAD_RESERVE_MB;
}

/** The smallest budget an instance may leave for images (one 12 MP photo at full size). */
export const MIN_IMAGE_MEMORY_MB = 256;
