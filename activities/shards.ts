/**
 * The sharded partition's activities (spec source.shards; workflows/sharded-partition.ts runs them):
 * planShards splits the partition's files into shards once and writes the plan to the staging
 * location; stageShard stages one shard's typed, deduped rows and rejects as Parquet there, on any
 * worker; commitShards reads every shard's Parquet, dedupes across shards and commits the partition
 * in one transaction; cleanupShards removes the partition's staged files after a durable commit;
 * probeStaging checks a staging location is reachable and writable before anything runs.
 */
import type {
  CleanupShardsInput,
  CommitShardsInput,
  LoadPartitionResult,
  PlanShardsInput,
  PlanShardsResult,
  ProbeStagingInput,
  StageShardInput,
  StageShardResult,
} from '../common/types';
import type { ActivityDeps } from './deps';

export function createShardActivities(_deps: ActivityDeps) {
  return {
    planShards: (_input: PlanShardsInput): Promise<PlanShardsResult> => Promise.reject(new Error('not yet')),
    stageShard: (_input: StageShardInput): Promise<StageShardResult> => Promise.reject(new Error('not yet')),
    commitShards: (_input: CommitShardsInput): Promise<LoadPartitionResult> =>
      Promise.reject(new Error('not yet')),
    cleanupShards: (_input: CleanupShardsInput): Promise<{ removed: number }> =>
      Promise.reject(new Error('not yet')),
    probeStaging: (_input: ProbeStagingInput): Promise<void> => Promise.reject(new Error('not yet')),
  };
}
