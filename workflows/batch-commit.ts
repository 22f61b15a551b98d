/**
 * A batched child under spec commit: batch (patch `batch-commit`): one loadBatch activity, with the
 * spec's retry policy, reads all its partitions in one scan and commits them in one transaction.
 * All or nothing: when it fails after its retries every partition with files is failed with its
 * error (those without files are still empty). Cancelling the child (cancelPartitions names any of
 * its partitions; the controller cancels the child, which owns them all) cancels the activity,
 * whose open transaction rolls back: every partition of the batch ends cancelled, none written.
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  patched,
  proxyActivities,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { normalizeCounts } from '../common/counts';
import {
  emptyStats,
  type LoadBatchFailureDetails,
  type PartitionOutcome,
  type PartitionWorkflowInput,
} from '../common/types';
import { activityOptions, onTargetOwner } from './activity-options';
import { failedOutcome } from './failed-outcome';

export const BATCH_COMMIT_PATCH = 'batch-commit';

/**
 * Every partition's outcome, or undefined when the child commits per partition: the spec says so,
 * the child holds one partition (its own loadPartition keeps file-level resume), or the run
 * predates the patch (the spec's commit field is then absent anyway).
 */
export async function loadCommittedBatch(
  input: PartitionWorkflowInput,
): Promise<Record<string, PartitionOutcome> | undefined> {
  const { spec, partitionKeys, backfillId } = input;
  if (spec.commit !== 'batch' || partitionKeys.length < 2 || !patched(BATCH_COMMIT_PATCH)) return undefined;
  const { loadBatch } = proxyActivities<Activities>(
    activityOptions(spec, `load ${partitionKeys.length} partitions, commit them as one`, {
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
      ...onTargetOwner(spec),
    }),
  );
  try {
    const { results } = await loadBatch({ backfillId, spec, partitionKeys });
    return Object.fromEntries(partitionKeys.map((key) => [key, normalizeCounts(results[key]!)]));
  } catch (err) {
    if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
    const cause = err.cause;
    const details =
      cause instanceof ApplicationFailure
        ? (cause.details?.[0] as LoadBatchFailureDetails | undefined)
        : undefined;
    const empty = new Set(details?.empty ?? []);
    const failed = failedOutcome(err, spec);
    // A failed check's outcomes belong to the partition whose check failed, not to its batch mates.
    const { checks: _checks, ...withoutChecks } = failed as Extract<PartitionOutcome, { status: 'failed' }>;
    return Object.fromEntries(
      partitionKeys.map((key): [string, PartitionOutcome] => [
        key,
        empty.has(key)
          ? { status: 'empty', ...emptyStats(), attempts: 1 }
          : details?.checksOf === undefined || details.checksOf === key
            ? failed
            : (withoutChecks as PartitionOutcome),
      ]),
    );
  }
}
