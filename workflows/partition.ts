import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  patched,
  proxyActivities,
  setCurrentDetails,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { activityOptions, onTargetOwner } from './activity-options';
import { loadCommittedBatch } from './batch-commit';
import { renderPartitionDetails } from './details';
import { failedOutcome } from './failed-outcome';
import { loadShardedPartition } from './sharded-partition';
import { loadSmallPartitions } from './small-partitions';
import { normalizeCounts } from '../common/counts';
import {
  emptyStats,
  type PartitionOutcome,
  type PartitionWorkflowInput,
  type PartitionWorkflowResult,
} from '../common/types';

/**
 * Loads one partition (or a small batch of them, one after another; or, under spec commit: batch,
 * all of them in one loadBatch activity and one transaction, see batch-commit.ts): runs the loadPartition
 * activity with the spec's retry policy (exponential backoff; configuration and data-contract
 * errors are not retried) and a heartbeat timeout, so a dead worker is noticed in seconds.
 * Cancelling this workflow cancels the running activity and waits until it has rolled back, so a
 * cancelled partition never leaves rows behind. If any partition failed, the workflow fails (so
 * reprocess "failed" runs it again) with every partition's outcome in the failure's details.
 */
export async function partitionWorkflow(input: PartitionWorkflowInput): Promise<PartitionWorkflowResult> {
  const { spec, backfillId } = input;
  const committed = await loadCommittedBatch(input);
  if (committed) return settle(committed, withChecks(spec));
  const sharded = await loadShardedPartition(input);
  if (sharded) return settle(sharded, withChecks(spec));
  const results: Record<string, PartitionOutcome> = {};
  const settled = (await loadSmallPartitions(input)) ?? emptyOutcomes(await findEmpty(input));
  for (const partitionKey of input.partitionKeys) {
    const done = settled[partitionKey];
    if (done) {
      results[partitionKey] = done;
      continue;
    }
    const { loadPartition } = proxyActivities<Activities>(
      activityOptions(spec, `load ${partitionKey}`, {
        cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        ...onTargetOwner(spec),
      }),
    );
    try {
      // A result recorded before the rename carries rowsMerged: one name from here on.
      results[partitionKey] = normalizeCounts(await loadPartition({ backfillId, partitionKey, spec }));
    } catch (err) {
      if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
      results[partitionKey] = failedOutcome(err, spec);
    }
  }
  return settle(results, withChecks(spec));
}

/**
 * The child's details show its partitions' check outcomes when it ends. Patched, so runs recorded
 * before it replay; specs without checks never ask.
 */
const withChecks = (spec: PartitionWorkflowInput['spec']) =>
  (spec.checks?.length ?? 0) > 0 && patched('partition-check-outcomes');

/** The child's result; if any partition failed, the child fails with every outcome in its details. */
function settle(results: Record<string, PartitionOutcome>, details = false): PartitionWorkflowResult {
  if (details) setCurrentDetails(renderPartitionDetails(results));
  const failed = Object.entries(results).filter(([, r]) => r.status === 'failed');
  if (failed.length) {
    // The child itself never retries: the activity already did, per the spec's policy.
    throw ApplicationFailure.create({
      message: failed.map(([key, r]) => `${key}: ${'error' in r ? r.error : ''}`).join('; '),
      type: 'PartitionFailed',
      nonRetryable: true,
      details: [{ results }],
    });
  }
  return { results };
}

const emptyOutcomes = (keys: Set<string>): Record<string, PartitionOutcome> =>
  Object.fromEntries([...keys].map((key) => [key, { status: 'empty', ...emptyStats(), attempts: 1 }]));

/**
 * Before patch batch-loads-small-partitions: a batch lists its partitions first and skips the empty ones: one activity instead of one per
 * partition. Patched, so runs recorded before it replay. A failed listing only costs the shortcut.
 */
async function findEmpty(input: PartitionWorkflowInput): Promise<Set<string>> {
  const { spec } = input;
  if (input.partitionKeys.length < 2 || spec.source.requireFiles || !patched('batch-lists-empty-partitions'))
    return new Set();
  const { findEmptyPartitions } = proxyActivities<Activities>(
    activityOptions(spec, `list ${input.partitionKeys.length} partitions`),
  );
  try {
    const keys = await findEmptyPartitions({
      backfillId: input.backfillId,
      spec,
      partitionKeys: input.partitionKeys,
    });
    return new Set(keys);
  } catch (err) {
    if (isCancellation(err)) throw err;
    return new Set();
  }
}
