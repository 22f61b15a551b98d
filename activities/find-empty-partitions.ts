/**
 * findEmptyPartitions: for a batched child, lists its partitions up front and names those with no
 * files, so the child records them as empty without one loadPartition activity each. Sparse ranges
 * (hourly partitions, quiet days) are common; each skipped activity saves a server round trip and
 * ~4 history events.
 */
import { Context } from '@temporalio/activity';
import { emptyStats, type FindEmptyPartitionsInput } from '../common/types';
import type { ActivityDeps } from './deps';

/** Listings in flight at once: S3 LIST calls are cheap but not free. */
const LISTING_CONCURRENCY = 8;

export function createFindEmptyPartitions(deps: ActivityDeps) {
  return async function findEmptyPartitions(input: FindEmptyPartitionsInput): Promise<string[]> {
    const ctx = Context.current();
    const { spec, partitionKeys } = input;
    const empty = new Set<string>();
    let next = 0;
    const lane = async () => {
      while (next < partitionKeys.length) {
        const key = partitionKeys[next++]!;
        if ((await deps.sources.list(spec, key)).length === 0) empty.add(key);
        ctx.heartbeat(next);
      }
    };
    await Promise.all(Array.from({ length: Math.min(LISTING_CONCURRENCY, partitionKeys.length) }, lane));
    for (let i = 0; i < empty.size; i++) {
      deps.metrics?.partitionStarted();
      deps.metrics?.partitionLoaded({ status: 'empty', ...emptyStats(), attempts: 1 });
    }
    deps.logger.debug(
      { backfillId: input.backfillId, partitions: partitionKeys.length, empty: empty.size },
      'batch listed',
    );
    // Planned order, so the workflow's view does not depend on listing timing.
    return partitionKeys.filter((key) => empty.has(key));
  };
}
