/**
 * Options of every activity the workflows call, in one place: the spec's partition timeout and
 * heartbeat timeout, and the spec's retry policy (exponential backoff; configuration and
 * data-contract errors are final) unless the caller passes another. The values are part of each
 * recorded history's commands: change them only behind `patched()`.
 */
import { patched, type ActivityOptions, type RetryPolicy } from '@temporalio/workflow';
import { durationMs } from '../common/duration';
import { NON_RETRYABLE_FAILURE_TYPES } from '../common/failures';
import type { BackfillSpec } from '../common/spec';

export function activityOptions(
  spec: BackfillSpec,
  summary: string,
  overrides: Pick<ActivityOptions, 'retry' | 'cancellationType' | 'taskQueue'> = {},
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

export const COMMIT_TASK_QUEUE_PATCH = 'commit-task-queue';

/**
 * Where an activity that writes the target runs (a commit, a whole partition load, maintenance):
 * a DuckDB file has one writing process, so with target.commitTaskQueue set these go to the queue
 * its owner polls (patch `commit-task-queue`, consulted only then: a history without the field
 * never meets it); otherwise nothing is added and any worker of the backfill's queue takes them.
 */
export function onTargetOwner(spec: BackfillSpec): Pick<ActivityOptions, 'taskQueue'> {
  if (spec.target.type !== 'duckdb' || !spec.target.commitTaskQueue) return {};
  return patched(COMMIT_TASK_QUEUE_PATCH) ? { taskQueue: spec.target.commitTaskQueue } : {};
}
