/**
 * Every failure type the service raises, in one registry: the name becomes the Temporal
 * `ApplicationFailure.type`, and `retryable: false` ones are listed in `nonRetryableErrorTypes`.
 * Pure code (no Node built-ins) so workflows can import the list.
 */
import type { CheckOutcome } from './types';

export const FAILURE_TYPES = {
  ConfigurationError: {
    retryable: false,
    description: 'The spec or the environment is wrong; retrying cannot help.',
  },
  SchemaContractError: {
    retryable: false,
    description: 'Source columns or types break the schema contract (freeze, or an unsafe change).',
  },
  BadRecordError: {
    retryable: false,
    description: 'A bad record under read mode failfast; the message names the file and line.',
  },
  SourceAccessError: {
    retryable: false,
    description: 'The source denies access (credentials, missing bucket).',
  },
  ReconciliationError: {
    retryable: false,
    description: 'Rows read do not equal rows accepted + duplicates + rejected.',
  },
  NoFilesError: {
    retryable: false,
    description: 'The partition has no files and the spec sets source.requireFiles.',
  },
  CheckFailedError: {
    retryable: false,
    description:
      'A declared check (spec checks, action fail or a drop over its threshold) failed; nothing of the partition landed. Fix the data or the check, then retry.',
  },
  SourceReadError: {
    retryable: true,
    description: 'A file could not be read (I/O, truncated or corrupt file); retried.',
  },
  CommitConflictError: {
    retryable: true,
    description:
      'A DuckLake commit kept losing to concurrent writers after its retries inside the activity; Temporal retries it.',
  },
  TargetWriteError: {
    retryable: true,
    description: 'The target rejected the write (lock, conflict, disk); retried.',
  },
} as const;

export type FailureType = keyof typeof FAILURE_TYPES;

export const NON_RETRYABLE_FAILURE_TYPES: FailureType[] = (
  Object.keys(FAILURE_TYPES) as FailureType[]
).filter((t) => !FAILURE_TYPES[t].retryable);

/** Base class: `name` is the registry key so Temporal reports it as the failure type. */
export class BackfillError extends Error {
  constructor(
    readonly type: FailureType,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = type;
  }
}

export const configurationError = (message: string, cause?: unknown) =>
  new BackfillError('ConfigurationError', message, { cause });

/** A failed check: the one-line message names the check, and every check's outcome rides along. */
export class CheckFailedError extends BackfillError {
  constructor(
    message: string,
    readonly checks: CheckOutcome[],
    /** The partition whose checks these are (a batch commit names it among its partitions). */
    readonly partitionKey?: string,
  ) {
    super('CheckFailedError', message);
  }
}
