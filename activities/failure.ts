/** Errors leaving an activity, as the ApplicationFailure Temporal records. */
import { ApplicationFailure } from '@temporalio/activity';
import { BackfillError, CheckFailedError } from '../common/failures';

/**
 * Temporal names a failure after the error's class; ours carry the registry name instead, so the
 * retry policy's nonRetryableErrorTypes match. The attempt number rides along for the parent's stats,
 * and a failed check's outcomes (every check of the partition) for status.
 */
export function toApplicationFailure(err: unknown, attempt: number): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const error = err instanceof Error ? err : new Error(String(err));
  const type = error instanceof BackfillError ? error.type : error.name;
  const checks = error instanceof CheckFailedError ? { checks: error.checks } : {};
  return ApplicationFailure.create({
    type,
    message: error.message,
    details: [{ attempt, ...checks }],
    cause: error,
  });
}
