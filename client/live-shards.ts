/**
 * Live shard progress for `status`: the parent learns a sharded partition's shards only from its
 * child's result, so for running partitions `status` asks their children (shardProgress query).
 * Bounded: the first LIVE_SHARDS_LIMIT running partitions, a few queries at a time, each with a
 * short deadline; a child that does not answer (not sharded, an older worker, none at all) is
 * left without shards.
 */
import type { Client } from '@temporalio/client';
import { partitionWorkflowId } from '../common/ids';
import { mapLimit } from '../common/map-limit';
import type { BackfillSpec } from '../common/spec';
import { emptyStats, type ShardStats } from '../common/types';
import { shardProgressQuery } from '../workflows/messages';
import type { PartitionView } from './run-merge';

export const LIVE_SHARDS_LIMIT = 50;
const QUERY_CONCURRENCY = 8;
const QUERY_DEADLINE_MS = 2000;

/** The partitions whose children are asked: running ones of a spec with shards, at most the limit. */
export function liveShardCandidates(
  spec: BackfillSpec | undefined,
  partitions: PartitionView[],
): PartitionView[] {
  if (!spec?.source.shards) return [];
  return partitions.filter((p) => p.status === 'running').slice(0, LIVE_SHARDS_LIMIT);
}

/**
 * A partition with its live shards: into its stats when it has some, else into placeholder stats
 * marked `live` (their zero counts are not the partition's: tables leave them out).
 */
export function withShards(p: PartitionView, shards: ShardStats): PartitionView {
  return { ...p, stats: p.stats ? { ...p.stats, shards } : { ...emptyStats(), shards, live: true } };
}

/** The partitions, the running sharded ones (within the bound) with their children's live shards. */
export async function addLiveShards(
  client: Client,
  backfillId: string,
  spec: BackfillSpec | undefined,
  partitions: PartitionView[],
): Promise<PartitionView[]> {
  const asked = liveShardCandidates(spec, partitions);
  if (asked.length === 0) return partitions;
  const answers = await mapLimit(asked, QUERY_CONCURRENCY, async (p) => {
    const handle = client.workflow.getHandle(partitionWorkflowId(backfillId, p.key));
    try {
      const shards = await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
        handle.query(shardProgressQuery),
      );
      return [p.key, shards] as const;
    } catch {
      return undefined; // not sharded (no such query), not started yet, or no worker: no shards
    }
  });
  const live = new Map(answers.filter((a) => a !== undefined));
  return partitions.map((p) => {
    const shards = live.get(p.key);
    return shards ? withShards(p, shards) : p;
  });
}
