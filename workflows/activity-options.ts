/**
 * Options of every activity the workflows call, in one place: the spec's partition timeout and
 * heartbeat timeout, and the spec's retry policy (exponential backoff; configuration and
 * data-contract errors are final) unless the caller passes another. The values are part of each
 * recorded history's commands: change them only behind `patched()`.
 */
import type { ActivityOptions, RetryPolicy } from '@temporalio/workflow';
import { durationMs } from '../common/duration';
import { NON_RETRYABLE_FAILURE_TYPES } from '../common/failures';
import type { BackfillSpec } from '../common/spec';

export function activityOptions(
  spec: BackfillSpec,
  summary: string,
  overrides: Pick<ActivityOptions, 'retry' | 'cancellationType'> = {},
): ActivityOptions {
  return {
    startToCloseTimeout: durationMs(spec.partitionTimeout),
    heartbeatTimeout: durationMs(spec.heartbeatTimeout),
    retry: retryPolicy(spec),
    summary,
    ...overrides,
  };
}

/** The spec's retry policy, for activities that load or list data. */
export function retryPolicy(spec: BackfillSpec): RetryPolicy {
  return {
    maximumAttempts: spec.retry.maximumAttempts,
    initialInterval: durationMs(spec.retry.initialInterval),
    backoffCoefficient: spec.retry.backoffCoefficient,
    maximumInterval: durationMs(spec.retry.maximumInterval),
    nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES,
  };
}

/** The parent's own bookkeeping (finished-children check, maintenance): a few quick attempts. */
export function bookkeepingRetry(spec: BackfillSpec): RetryPolicy {
  return { maximumAttempts: 3, initialInterval: durationMs(spec.retry.initialInterval) };
}
