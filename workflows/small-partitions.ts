/**
 * A batched child's first step (patch `batch-loads-small-partitions`): one activity lists its
 * partitions, records the empty ones and loads the small ones, saving each an activity round trip
 * and a workflow task. Whatever it leaves out (large partitions, a load that failed, the rest once
 * its time budget is spent, everything if the activity itself fails) loads on its own as before,
 * with the spec's retry policy; so it is a shortcut, never a new way to fail.
 */
import { ActivityCancellationType, isCancellation, patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { SMALL_PARTITION_BYTES } from '../common/small-partitions';
import type { LoadPartitionResult, PartitionWorkflowInput } from '../common/types';
import { activityOptions, onTargetOwner } from './activity-options';

export const SMALL_PARTITIONS_PATCH = 'batch-loads-small-partitions';

/** The partitions settled in one activity, or undefined when this run predates the patch. */
export async function loadSmallPartitions(
  input: PartitionWorkflowInput,
): Promise<Record<string, LoadPartitionResult> | undefined> {
  if (input.partitionKeys.length < 2 || !patched(SMALL_PARTITIONS_PATCH)) return undefined;
  const { spec } = input;
  const { loadSmallPartitions: run } = proxyActivities<Activities>(
    activityOptions(spec, `list ${input.partitionKeys.length} partitions, load the small ones`, {
      // A failure only costs the shortcut: every partition it did not settle loads on its own.
      retry: { maximumAttempts: 1 },
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
      ...onTargetOwner(spec),
    }),
  );
  try {
    const { results } = await run({
      backfillId: input.backfillId,
      spec,
      partitionKeys: input.partitionKeys,
      maxBytes: SMALL_PARTITION_BYTES,
    });
    return results;
  } catch (err) {
    if (isCancellation(err)) throw err;
    return {};
  }
}
