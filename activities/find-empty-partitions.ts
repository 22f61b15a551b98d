/**
 * findEmptyPartitions: for a batched child, lists its partitions up front and names those with no
 * files, so the child records them as empty without one loadPartition activity each. Sparse ranges
 * (hourly partitions, quiet days) are common; each skipped activity saves a server round trip and
 * ~4 history events. Children started since patch batch-loads-small-partitions call
 * loadSmallPartitions instead; this stays for the children started before it.
 */
import { Context } from '@temporalio/activity';
import { mapLimit } from '../common/map-limit';
import { emptyStats, type FindEmptyPartitionsInput } from '../common/types';
import type { ActivityDeps } from './deps';

/** Listings in flight at once: S3 LIST calls are cheap but not free. */
const LISTING_CONCURRENCY = 8;

export function createFindEmptyPartitions(deps: ActivityDeps) {
  return async function findEmptyPartitions(input: FindEmptyPartitionsInput): Promise<string[]> {
    const ctx = Context.current();
    const { spec, partitionKeys } = input;
    let listed = 0;
    const isEmpty = await mapLimit(partitionKeys, LISTING_CONCURRENCY, async (key) => {
      const files = await deps.source.list(spec, key);
      ctx.heartbeat(++listed);
      return files.length === 0;
    });
    const empty = partitionKeys.filter((_, i) => isEmpty[i]);
    for (const _key of empty) {
      deps.metrics?.partitionStarted();
      deps.metrics?.partitionLoaded({ status: 'empty', ...emptyStats(), attempts: 1 });
    }
    deps.logger.debug(
      { backfillId: input.backfillId, partitions: partitionKeys.length, empty: empty.length },
      'batch listed',
    );
    return empty;
  };
}
