import { ApplicationFailure, patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { batchesOf } from '../common/ids';
import type { BackfillSpec } from '../common/spec';
import type { PartitionListing } from '../common/types';
import { activityOptions } from './activity-options';

/** Partitions one listing activity covers: two numbers each, so its result stays a few kB. */
export const LIST_PAGE = 500;
/** Partitions one plan workflow covers: its input (the keys) and result stay far under 2 MB. */
export const PLAN_PAGE = 5000;

export interface PlanWorkflowInput {
  backfillId: string;
  spec: BackfillSpec;
  /** At most PLAN_PAGE keys; the client starts one plan workflow per page. */
  partitionKeys: string[];
}

/**
 * The listing half of `backfill plan`, run on a worker: each partition's files and bytes as the
 * workers see them (their sources and credentials), so a shell without bucket access can plan and
 * the plan cannot disagree with the load. Short-lived; it changes nothing.
 */
export async function planWorkflow(input: PlanWorkflowInput): Promise<PartitionListing> {
  const { backfillId, spec, partitionKeys } = input;
  if (partitionKeys.length > PLAN_PAGE)
    throw ApplicationFailure.create({
      message: `a plan workflow lists at most ${PLAN_PAGE} partitions (got ${partitionKeys.length})`,
      nonRetryable: true,
    });
  const listings = await Promise.all(
    batchesOf(partitionKeys, LIST_PAGE).map((keys) => {
      const { listPartitions } = proxyActivities<Activities>(
        activityOptions(spec, `list ${keys.length} partitions from ${keys[0]}`),
      );
      return listPartitions({ backfillId, spec, partitionKeys: keys });
    }),
  );
  const listing: PartitionListing = {
    files: listings.flatMap((l) => l.files),
    bytes: listings.flatMap((l) => l.bytes),
  };
  // Shard counts of a sharded spec (patch plan-shards).
  if (spec.source.shards && patched('plan-shards')) listing.shards = listings.flatMap((l) => l.shards ?? []);
  return listing;
}
