/**
 * After a sharded partition's commit is durable: every staged file of the partition goes, of this
 * attempt and of every earlier one (abandoned attempts, finished shards a retry reused). No other
 * attempt of the partition can be running then: one partition is one child workflow id, which runs
 * once at a time, and this is its last step. Files of an attempt that never commits (a cancelled or
 * failed partition) stay for a retry to reuse, until that retry's commit removes them.
 */
import { partitionPrefix } from './layout';
import type { StagingLocation } from './location';

export async function cleanupPartition(
  location: StagingLocation,
  backfillId: string,
  partitionKey: string,
): Promise<number> {
  return location.remove(partitionPrefix(backfillId, partitionKey));
}
