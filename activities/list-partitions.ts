/**
 * listPartitions: for `backfill plan`, each partition's file count and bytes as the workers see
 * them (their sources, their credentials), so a user whose shell has no access to the bucket can
 * plan, and the plan cannot disagree with the load. The plan workflow pages the keys, so one
 * result stays small.
 */
import { Context } from '@temporalio/activity';
import { mapLimit } from '../common/map-limit';
import { shardCount } from '../common/shards';
import type { ListPartitionsInput, PartitionListing } from '../common/types';
import type { ActivityDeps } from './deps';

/** Listings in flight at once: S3 LIST calls are cheap but not free. */
const LISTING_CONCURRENCY = 8;

export function createListPartitions(deps: Pick<ActivityDeps, 'source' | 'logger'>) {
  return async function listPartitions(input: ListPartitionsInput): Promise<PartitionListing> {
    const ctx = Context.current();
    let listed = 0;
    const listings = await mapLimit(input.partitionKeys, LISTING_CONCURRENCY, async (key) => {
      const files = await deps.source.list(input.spec, key);
      ctx.heartbeat(++listed);
      const sizes = [...files]
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        .map((f) => f.size);
      return {
        files: files.length,
        bytes: files.reduce((sum, f) => sum + f.size, 0),
        shards: shardCount(sizes, input.spec.source.shards),
      };
    });
    deps.logger.debug({ backfillId: input.backfillId, partitions: listed }, 'partitions listed for a plan');
    return {
      files: listings.map((l) => l.files),
      bytes: listings.map((l) => l.bytes),
      ...(input.spec.source.shards ? { shards: listings.map((l) => l.shards) } : {}),
    };
  };
}
