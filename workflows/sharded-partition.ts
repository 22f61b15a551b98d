/**
 * A sharded partition (spec source.shards, patch `sharded-partitions`): a child of one partition
 * plans its shards once (planShards: an activity result in history, so every retry and replay sees
 * the same shards and files; the file list itself is a manifest at the staging location), stages
 * them with stageShard activities on any worker, at most `concurrency` pending (ShardWindow), then
 * commits the partition in one commitShards activity and removes the staged files. Every
 * SHARDS_PER_RUN finished shards the child continues as new, carrying the plan and the done set
 * (ShardProgress), so 10,000 shards keep each run's history bounded. A shard that fails after its
 * retries (failfast names its file and line) cancels the others and fails the partition with its
 * error. Cancelling the child cancels every pending shard and waits for them (nothing is
 * committed: the commit has not run, or its transaction rolls back). The shardProgress query
 * answers shards done / total and who staged them while the child runs (`status`).
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  type ActivityOptions,
  CancellationScope,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { normalizeCounts } from '../common/counts';
import { ShardWindow } from '../common/shards';
import type { PartitionOutcome, PartitionWorkflowInput, StageShardResult } from '../common/types';
import { activityOptions, bookkeepingRetry, onTargetOwner } from './activity-options';
import { failedOutcome } from './failed-outcome';
import { shardProgressQuery } from './messages';
import { ShardProgress } from './shard-progress';

export const SHARDED_PATCH = 'sharded-partitions';

/** Finished shards per child run before it continues as new (about 4 events each, plus the commit). */
export const SHARDS_PER_RUN = 500;

/**
 * The partition's outcome when it loads sharded; undefined when it does not (no shards in the spec,
 * several partitions in the child, a run from before the patch, or a partition too small to shard:
 * then the usual loadPartition runs).
 */
export async function loadShardedPartition(
  input: PartitionWorkflowInput,
): Promise<Record<string, PartitionOutcome> | undefined> {
  const { spec, backfillId, partitionKeys } = input;
  if (!spec.source.shards || partitionKeys.length !== 1 || !patched(SHARDED_PATCH)) return undefined;
  const partitionKey = partitionKeys[0]!;
  const proxy = (summary: string, owner: Pick<ActivityOptions, 'taskQueue'> = {}) =>
    proxyActivities<Activities>(
      activityOptions(spec, summary, {
        cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        ...owner,
      }),
    );
  const { planShards } = proxy(`plan the shards of ${partitionKey}`);
  // Shards stage anywhere; the commit writes the target, so it goes to the target's owner if any.
  const { commitShards } = proxy(`commit the shards of ${partitionKey}`, onTargetOwner(spec));
  let progress: ShardProgress;
  if (input.sharded) progress = ShardProgress.resume(input.sharded);
  else {
    try {
      const plan = await planShards({ backfillId, partitionKey, spec, planId: workflowInfo().runId });
      if (plan.unsharded) return undefined;
      progress = ShardProgress.start(
        { planId: plan.planId, shards: plan.shards, files: plan.files, bytes: plan.bytes },
        Date.now(),
      );
    } catch (err) {
      if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
      return { [partitionKey]: failedOutcome(err, spec) };
    }
  }
  const { plan } = progress;
  // A query is not recorded in history: no patch needed, and `status` sees the shards live.
  setHandler(shardProgressQuery, () => progress.stats());
  const show = (stage: string) => setCurrentDetails(progress.details(partitionKey, stage));

  const perRun = input.shardsPerRun ?? SHARDS_PER_RUN;
  const window = new ShardWindow(plan.shards, progress.done, spec.source.shards.concurrency);
  const scope = new CancellationScope();
  const pending = new Map<number, Promise<void>>();
  let finishedThisRun = 0;
  let failure: ActivityFailure | undefined;
  let cancelled: Error | undefined;
  const start = (shard: number) => {
    const run = scope
      .run(() =>
        proxy(`shard ${shard} of ${partitionKey}`).stageShard({
          backfillId,
          partitionKey,
          spec,
          planId: plan.planId,
          shard,
        }),
      )
      .then(
        (result: StageShardResult) => {
          progress.record(result);
          finishedThisRun++;
        },
        (err: unknown) => {
          if (!isCancellation(err) && err instanceof ActivityFailure) {
            // The first failure fails the partition: the other shards are of no use now.
            if (!failure) {
              failure = err;
              scope.cancel();
            }
          } else cancelled ??= err instanceof Error ? err : new Error(String(err));
        },
      )
      .finally(() => {
        window.finish(shard);
        pending.delete(shard);
      });
    pending.set(shard, run);
  };
  show('staging shards');
  for (;;) {
    // Temporal's own suggestion (a large history) also ends the run early.
    const full =
      finishedThisRun + pending.size >= perRun ||
      (finishedThisRun > 0 && workflowInfo().continueAsNewSuggested);
    if (!failure && cancelled === undefined && !full)
      for (const shard of window.take(perRun - finishedThisRun - pending.size)) start(shard);
    if (pending.size === 0) break;
    await Promise.race(pending.values());
    show('staging shards');
  }
  if (failure) {
    show('failed');
    return { [partitionKey]: failedOutcome(failure, spec) };
  }
  if (cancelled !== undefined) throw cancelled;
  if (!progress.finished) {
    // History stays bounded: the next run starts where this one ended.
    return continueAsNew<(input: PartitionWorkflowInput) => Promise<unknown>>({
      ...input,
      sharded: progress.encode(),
    });
  }

  show('committing');
  let result;
  try {
    result = normalizeCounts(
      await commitShards({ backfillId, partitionKey, spec, plan, counts: progress.counts }),
    );
  } catch (err) {
    if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
    show('commit failed');
    return { [partitionKey]: failedOutcome(err, spec) };
  }
  // The commit is durable: the staged files of every attempt of the partition can go. A failed
  // cleanup leaves files behind, never a wrong table, so it does not fail the partition.
  const { cleanupShards: cleanup } = proxyActivities<Activities>(
    activityOptions(spec, `remove the staged shards of ${partitionKey}`, { retry: bookkeepingRetry(spec) }),
  );
  try {
    await cleanup({ backfillId, partitionKey, spec, planId: plan.planId });
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.warn('staged shards not removed', { partitionKey, error: String(err) });
  }
  show('committed');
  return {
    [partitionKey]: {
      ...result,
      status: 'succeeded',
      durationMs: Date.now() - progress.startedAt,
      shards: progress.stats(),
    },
  };
}
