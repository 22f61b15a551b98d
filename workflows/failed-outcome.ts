/** A load activity's final failure (after its retries) as a partition's outcome. Deterministic. */
import type { ActivityFailure } from '@temporalio/workflow';
import { ApplicationFailure } from '@temporalio/workflow';
import type { BackfillSpec } from '../common/spec';
import type { CheckOutcome, PartitionOutcome } from '../common/types';

export function failedOutcome(err: ActivityFailure, spec: BackfillSpec): PartitionOutcome {
  const cause = err.cause;
  const details =
    cause instanceof ApplicationFailure
      ? (cause.details?.[0] as { attempt?: number; checks?: CheckOutcome[] } | undefined)
      : undefined;
  const attempt = details?.attempt;
  return {
    status: 'failed',
    error:
      cause instanceof ApplicationFailure && cause.type
        ? `${cause.type}: ${cause.message}`
        : (cause?.message ?? err.message),
    ...(cause instanceof ApplicationFailure && cause.type ? { failureType: cause.type } : {}),
    attempts: attempt ?? spec.retry.maximumAttempts,
    // A failed check's outcomes, for status (data only: no command changes, so nothing to patch).
    ...(details?.checks ? { checks: details.checks } : {}),
  };
}
