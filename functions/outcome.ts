/**
 * What one invocation of the handler did: the local runtime prints it, telemetry records it,
 * tests assert on it.
 */
import type { ImageFormat } from '../lib/types.js';
import type { IgnoreReason } from './events.js';

/** Why an event ended without new results. */
export type SkipReason =
  | IgnoreReason
  | 'duplicate'
  | 'superseded'
  | 'deleted'
  /** A redelivery that waited for the run of the same version already in flight here. */
  | 'joined'
  /** A BlobDeleted for an input that exists (a new upload since, or a forged event). */
  | 'not-deleted';

/** A rendition written for an input. */
export interface WrittenRendition {
  container: string;
  name: string;
  format: string;
  width: number;
  height: number;
  bytes: number;
}

/** What one invocation did. */
export type Outcome =
  | {
      status: 'succeeded';
      name: string;
      eTag: string;
      inputBytes: number;
      /** Input format, detected from magic bytes. */
      format?: ImageFormat;
      /** Every rendition written, in the order of the settings. */
      renditions: WrittenRendition[];
      ms: number;
    }
  | {
      status: 'failed';
      name: string | undefined;
      eTag: string | undefined;
      inputBytes: number | undefined;
      /** Input format, when the bytes were read and recognised. */
      format?: ImageFormat;
      errorCode: string;
      message: string;
      ms: number;
    }
  | {
      status: 'skipped';
      name: string | undefined;
      eTag: string | undefined;
      reason: SkipReason;
      detail: string;
      ms: number;
    }
  | { status: 'deleted'; name: string; removed: string[]; ms: number };
