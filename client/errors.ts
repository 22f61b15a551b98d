/**
 * CLI exit codes and one-line error messages: people see what went wrong and what to do, never a
 * stack trace (set BACKFILL_DEBUG=1 to get one).
 */
import { ServiceError } from '@temporalio/client';
import { ConfigError } from '../common/config';
import { SpecError } from '../common/spec';
import { TemporalUnreachableError } from '../worker/connect';
import { BackfillConflictError, BackfillNotFoundError } from './backfills';

export const EXIT = {
  ok: 0,
  /** The backfill finished with failed or cancelled partitions, or an unexpected error. */
  failed: 1,
  /** Invalid spec, flags or environment (credentials the server rejects included). */
  usage: 2,
  notFound: 3,
  unreachable: 4,
  conflict: 5,
} as const;

export class UsageError extends Error {
  override name = 'UsageError';
}

export class UnreachableError extends Error {
  override name = 'UnreachableError';
}

/** A command that needs a worker (plan lists files on one) found none polling its task queue. */
export class NoWorkerError extends Error {
  override name = 'NoWorkerError';
}

export class CredentialsError extends Error {
  override name = 'CredentialsError';
}

const GRPC_UNAUTHENTICATED = 16;
const GRPC_PERMISSION_DENIED = 7;

/** The gRPC status code anywhere in an error's cause chain. */
function grpcCode(err: unknown): number | undefined {
  let e = err as { code?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 6; depth++) {
    if (typeof e.code === 'number') return e.code;
    e = e.cause as typeof e;
  }
  return undefined;
}

/** The innermost message of an error's cause chain (the server's own words). */
function rootMessage(err: unknown): string {
  let e = err as { message?: string; cause?: unknown };
  while (e.cause instanceof Error) e = e.cause;
  return e.message ?? String(err);
}

/** A refused API key or certificate, with what to check; undefined for any other error. */
export function credentialsError(err: unknown, address: string): CredentialsError | undefined {
  const code = grpcCode(err);
  if (code !== GRPC_UNAUTHENTICATED && code !== GRPC_PERMISSION_DENIED) return undefined;
  return new CredentialsError(
    `Temporal rejected the credentials at ${address}: ${rootMessage(err)} (check TEMPORAL_API_KEY, or TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY, and the namespace's permissions)`,
  );
}

const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE = 4;

export function isUnreachable(err: unknown): boolean {
  if (err instanceof UnreachableError) return true;
  if (err instanceof ServiceError) {
    const code = (err.cause as { code?: number } | undefined)?.code;
    return code === GRPC_UNAVAILABLE;
  }
  return (
    err instanceof Error && /Failed to connect before the deadline|ECONNREFUSED|UNAVAILABLE/.test(err.message)
  );
}

export function describeError(err: unknown): { message: string; code: number } {
  if (
    err instanceof SpecError ||
    err instanceof ConfigError ||
    err instanceof UsageError ||
    err instanceof CredentialsError
  ) {
    return { message: err.message, code: EXIT.usage };
  }
  if (err instanceof BackfillNotFoundError) return { message: err.message, code: EXIT.notFound };
  if (err instanceof BackfillConflictError) return { message: err.message, code: EXIT.conflict };
  if (err instanceof NoWorkerError) return { message: err.message, code: EXIT.unreachable };
  if (err instanceof TemporalUnreachableError) return { message: err.message, code: EXIT.unreachable };
  if (isUnreachable(err)) {
    const detail = err instanceof UnreachableError ? err.message : 'cannot reach the Temporal server';
    return {
      message: `${detail} (is it running? start one with "backfill dev", or set TEMPORAL_ADDRESS)`,
      code: EXIT.unreachable,
    };
  }
  if (err instanceof ServiceError && (err.cause as { code?: number } | undefined)?.code === GRPC_DEADLINE) {
    return {
      message: `Temporal did not answer in time: ${err.message} (queries need a running worker: "backfill worker" or "backfill dev")`,
      code: EXIT.failed,
    };
  }
  const credentials = credentialsError(err, 'the server');
  if (credentials) return { message: credentials.message, code: EXIT.usage };
  if (err instanceof ServiceError) {
    return { message: `Temporal refused the request: ${err.message}`, code: EXIT.failed };
  }
  return { message: err instanceof Error ? err.message : String(err), code: EXIT.failed };
}
