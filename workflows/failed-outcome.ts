/** A load activity's final failure (after its retries) as a partition's outcome. Deterministic. */
import type { ActivityFailure } from '@temporalio/workflow';
import { ApplicationFailure } from '@temporalio/workflow';
import type { BackfillSpec } from '../common/spec';
import type { CheckOutcome, FailedPartitionOutcome } from '../common/types';

/** With `withChecks`, a failed check's outcomes (CheckFailedError's details) are kept. */
export function failedOutcome(
  err: ActivityFailure,
  spec: BackfillSpec,
  withChecks = false,
): FailedPartitionOutcome {
  const cause = err.cause;
  const details =
    cause instanceof ApplicationFailure
      ? (cause.details?.[0] as { attempt?: number; checks?: CheckOutcome[] } | undefined)
      : undefined;
  const attempt = details?.attempt;
  const checks = withChecks && Array.isArray(details?.checks) ? details.checks : undefined;
  return {
    status: 'failed',
    error:
      cause instanceof ApplicationFailure && cause.type
        ? `${cause.type}: ${cause.message}`
        : (cause?.message ?? err.message),
    ...(cause instanceof ApplicationFailure && cause.type ? { failureType: cause.type } : {}),
    attempts: attempt ?? spec.retry.maximumAttempts,
    ...(checks?.length ? { checks } : {}),
  };
}
