/**
 * CLI exit codes and one-line error messages: people see what went wrong and what to do, never a
 * stack trace (set BACKFILL_DEBUG=1 to get one).
 */
import { ServiceError } from '@temporalio/client';
import { ConfigError } from '../common/config';
import { SpecError } from '../common/spec';
import { BackfillConflictError, BackfillNotFoundError } from './backfills';

export const EXIT = {
  ok: 0,
  /** The backfill finished with failed or cancelled partitions, or an unexpected error. */
  failed: 1,
  /** Invalid spec, flags or environment. */
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
  if (err instanceof SpecError || err instanceof ConfigError || err instanceof UsageError) {
    return { message: err.message, code: EXIT.usage };
  }
  if (err instanceof BackfillNotFoundError) return { message: err.message, code: EXIT.notFound };
  if (err instanceof BackfillConflictError) return { message: err.message, code: EXIT.conflict };
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
  if (err instanceof ServiceError) {
    return { message: `Temporal refused the request: ${err.message}`, code: EXIT.failed };
  }
  return { message: err instanceof Error ? err.message : String(err), code: EXIT.failed };
}
