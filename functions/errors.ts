/**
 * Typed errors of the adapters (events, storage, configuration). Each has a stable `code`
 * and says whether retrying can help: transient errors are rethrown so Event Grid
 * redelivers the event; permanent ones are recorded and the invocation completes.
 */
import { RestError } from '@azure/storage-blob';

/** Every error code the adapters can raise. Stable: logs, alerts and spans key on them. */
export type AdapterErrorCode =
  | 'CONFIG_INVALID'
  | 'EVENT_INVALID'
  | 'EVENT_PUBLISH_FAILED'
  | 'INSTANCE_BUSY'
  | 'NAME_INVALID'
  | 'NAME_TOO_LONG'
  | 'STORAGE_TRANSIENT'
  | 'STORAGE_PERMANENT';

/** Base class of the adapter errors. */
export class AdapterError extends Error {
  override readonly name: string = 'AdapterError';
  /** Retrying the same event cannot succeed when true. */
  readonly permanent: boolean;

  constructor(
    readonly code: AdapterErrorCode,
    message: string,
    options: { permanent: boolean; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.permanent = options.permanent;
  }

  /** A plain object for logs and records. */
  toJSON(): { code: AdapterErrorCode; message: string; permanent: boolean } {
    return { code: this.code, message: this.message, permanent: this.permanent };
  }
}

/** A setting is missing or has the wrong type or range; the message names the setting. */
export class ConfigError extends AdapterError {
  override readonly name = 'ConfigError';
  constructor(
    readonly setting: string,
    expected: string,
    actual: string | undefined,
    /** The message as a validator of the same shape already wrote it (a list's entry and rule). */
    message?: string,
  ) {
    super(
      'CONFIG_INVALID',
      message ??
        (actual === undefined
          ? `Setting ${setting} is missing: expected ${expected}.`
          : `Expected ${expected} for setting ${setting} but received ${JSON.stringify(actual)}.`),
      { permanent: true },
    );
  }
}

/** The payload is not a Storage event in the Event Grid or CloudEvents 1.0 schema. */
export class InvalidEventError extends AdapterError {
  override readonly name = 'InvalidEventError';
  constructor(detail: string) {
    super('EVENT_INVALID', `Not a valid Storage event: ${detail}.`, { permanent: true });
  }
}

/**
 * A result of the input would get a blob name over Azure's limit (1,024 characters), so Azure
 * would refuse to write it: known from the event, before anything is read or written.
 */
export class NameTooLongError extends AdapterError {
  override readonly name = 'NameTooLongError';
  constructor(
    readonly sourceName: string,
    /** The longest name a result would get. */
    readonly resultName: string,
    readonly maxLength: number,
  ) {
    const fits = maxLength - (resultName.length - sourceName.length);
    super(
      'NAME_TOO_LONG',
      `${abbreviate(sourceName)} (${sourceName.length} characters) would give a result named with ${resultName.length} characters, over Azure's limit of ${maxLength} for a blob name; rename it to at most ${fits} characters and upload it again.`,
      { permanent: true },
    );
  }
}

/**
 * A blob name that cannot be used as a path (an empty, `.` or `..` segment, a backslash, a
 * control character): the storage SDK would address another blob or container with it.
 */
export class InvalidNameError extends AdapterError {
  override readonly name = 'InvalidNameError';
  constructor(
    readonly sourceName: string,
    detail: string,
  ) {
    super(
      'NAME_INVALID',
      `${JSON.stringify(abbreviate(sourceName))} cannot be processed: its name has ${detail}; rename it (folders separated by single "/", no "." or ".." folders, no backslashes) and upload it again.`,
      { permanent: true },
    );
  }
}

/** The start and end of a long name, so a log line stays readable. */
function abbreviate(name: string): string {
  return name.length <= 80 ? name : `${name.slice(0, 40)}…${name.slice(-30)}`;
}

/**
 * This instance cannot finish the delivery within Event Grid's response window (images ahead
 * of it, or not enough memory left): refused at once, before anything is downloaded, so Event
 * Grid retries it later, here or on another instance, instead of timing out.
 */
export class InstanceBusyError extends AdapterError {
  override readonly name = 'InstanceBusyError';
  constructor(
    readonly sourceName: string,
    reason: string,
  ) {
    super(
      'INSTANCE_BUSY',
      `${abbreviate(sourceName)} was refused for now: ${reason}; Event Grid will deliver it again.`,
      {
        permanent: false,
      },
    );
  }
}

/**
 * A completion event was not accepted by its topic or webhook. Transient: the invocation fails,
 * Event Grid delivers it again, and the redelivery finds the results done and only publishes.
 * A 403 names the role the app's identity lacks.
 */
export class EventPublishError extends AdapterError {
  override readonly name = 'EventPublishError';
  constructor(
    readonly endpoint: string,
    readonly statusCode: number | undefined,
    cause: unknown,
  ) {
    const why =
      statusCode === 403
        ? 'HTTP 403: the identity lacks the EventGrid Data Sender role on the topic'
        : describe(statusCode, cause);
    super('EVENT_PUBLISH_FAILED', `Publishing to ${endpoint} failed (${why}).`, {
      permanent: false,
      cause,
    });
  }
}

/** A storage call failed in a way that can pass (5xx, throttling, timeout, network, auth). */
export class TransientStorageError extends AdapterError {
  override readonly name = 'TransientStorageError';
  constructor(
    readonly operation: string,
    readonly statusCode: number | undefined,
    cause: unknown,
  ) {
    super(
      'STORAGE_TRANSIENT',
      `Storage ${operation} failed (${describe(statusCode, cause)}); the event will be retried.`,
      { permanent: false, cause },
    );
  }
}

/** A storage call failed in a way retrying cannot fix (for example an invalid blob name). */
export class PermanentStorageError extends AdapterError {
  override readonly name = 'PermanentStorageError';
  constructor(
    readonly operation: string,
    readonly statusCode: number | undefined,
    cause: unknown,
  ) {
    super('STORAGE_PERMANENT', `Storage ${operation} failed (${describe(statusCode, cause)}).`, {
      permanent: true,
      cause,
    });
  }
}

function describe(statusCode: number | undefined, cause: unknown): string {
  const storageCode = cause instanceof RestError ? cause.code : undefined;
  const message = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
  return [statusCode === undefined ? undefined : `HTTP ${statusCode}`, storageCode, message]
    .filter((part) => part !== undefined && part !== '')
    .join(', ');
}

/** The HTTP status of a storage SDK error, when the service answered at all. */
export function statusOf(error: unknown): number | undefined {
  return error instanceof RestError ? error.statusCode : undefined;
}

/** The storage error code (`BlobNotFound`, `ConditionNotMet`, …) of a storage SDK error. */
export function storageCodeOf(error: unknown): string | undefined {
  if (!(error instanceof RestError)) return undefined;
  const header = error.response?.headers.get('x-ms-error-code');
  return header ?? error.code;
}

/**
 * Classifies a storage SDK error: 408, 429, 5xx, 401/403 (role assignments take minutes to
 * propagate) and errors without a response (timeouts, refused connections) are transient.
 */
export function classifyStorageError(operation: string, error: unknown): AdapterError {
  if (error instanceof AdapterError) return error;
  const status = statusOf(error);
  const transient =
    status === undefined ||
    status === 408 ||
    status === 429 ||
    status === 401 ||
    status === 403 ||
    status >= 500;
  return transient
    ? new TransientStorageError(operation, status, error)
    : new PermanentStorageError(operation, status, error);
}
