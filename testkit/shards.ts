/**
 * A sharded partition load through the real shard activities, without a workflow (the activity
 * suites and benchmarks): planShards, every stageShard (in order, or as the caller arranges), one
 * commitShards, cleanupShards — what workflows/sharded-partition.ts runs, one activity at a time.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import type { BackfillSpec } from '../common/spec';
import type {
  LoadPartitionResult,
  PlanShardsResult,
  ShardCounts,
  ShardPlan,
  StageShardResult,
} from '../common/types';
import type { Loader } from './loader';
import { uniqueId } from './fixtures';

export interface ShardedLoad {
  plan: PlanShardsResult;
  shards: StageShardResult[];
  result?: LoadPartitionResult;
}

type Activities = Loader['activities'];

const env = () => new MockActivityEnvironment({ attempt: 1 });

export async function planShards(
  activities: Activities,
  spec: BackfillSpec,
  partitionKey: string,
  planId = uniqueId('plan'),
  backfillId = spec.name,
): Promise<PlanShardsResult> {
  return env().run(activities.planShards, { spec, partitionKey, backfillId, planId });
}

export async function stageShard(
  activities: Activities,
  spec: BackfillSpec,
  partitionKey: string,
  plan: ShardPlan,
  shard: number,
  backfillId = spec.name,
): Promise<StageShardResult> {
  return env().run(activities.stageShard, { spec, partitionKey, backfillId, planId: plan.planId, shard });
}

export const sumShards = (shards: StageShardResult[]): ShardCounts => ({
  filesReused: shards.filter((s) => s.reused).reduce((n, s) => n + s.files, 0),
  rowsRead: shards.reduce((n, s) => n + s.rowsRead, 0),
  rowsRejected: shards.reduce((n, s) => n + s.rowsRejected, 0),
  duplicatesRemoved: shards.reduce((n, s) => n + s.duplicatesRemoved, 0),
  rowsStaged: shards.reduce((n, s) => n + s.rowsStaged, 0),
});

export async function commitShards(
  activities: Activities,
  spec: BackfillSpec,
  partitionKey: string,
  plan: ShardPlan,
  shards: StageShardResult[],
  backfillId = spec.name,
): Promise<LoadPartitionResult> {
  return env().run(activities.commitShards, {
    spec,
    partitionKey,
    backfillId,
    plan,
    counts: sumShards(shards),
  });
}

/** The whole sharded load; an unsharded plan loads with loadPartition, as the workflow does. */
export async function loadSharded(
  loader: Loader,
  spec: BackfillSpec,
  partitionKey: string,
  options: { planId?: string; backfillId?: string; cleanup?: boolean } = {},
): Promise<ShardedLoad> {
  const { activities } = loader;
  const backfillId = options.backfillId ?? spec.name;
  const plan = await planShards(activities, spec, partitionKey, options.planId, backfillId);
  if (plan.unsharded) return { plan, shards: [], result: await loader.load(spec, partitionKey, backfillId) };
  const shards: StageShardResult[] = [];
  for (let i = 0; i < plan.shards; i++)
    shards.push(await stageShard(activities, spec, partitionKey, plan, i, backfillId));
  const result = await commitShards(activities, spec, partitionKey, plan, shards, backfillId);
  if (options.cleanup !== false)
    await env().run(activities.cleanupShards, { spec, partitionKey, backfillId, planId: plan.planId });
  return { plan, shards, result };
}
