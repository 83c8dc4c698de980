/**
 * Public API of the imaging core: bytes in, results out. No file system (except reading the
 * codecs' own WASM binaries once), no network, no cloud SDK.
 */
export { processImage } from './process.js';
export { failureRecord, type FailedSource } from './metadata.js';
export { sniffFormat } from './sniff.js';
export { hammingDistance } from './perceptual-hash.js';
export { readDeclaredDimensions, type Dimensions } from './guard.js';
export { loadCodecs } from './codecs/index.js';
export { LIBRARY_NAME, LIBRARY_VERSION } from './version.js';
export * from './errors.js';
export * from './options.js';
export * from './naming.js';
export * from './types.js';
