/**
 * Dry run: what a backfill would do — each partition's files and bytes, its last run (Temporal's
 * record under the deterministic child ID), and whether the reprocess mode would run or skip it.
 * The files are listed on a worker (`planWorkflow`), with the workers' sources and credentials:
 * the CLI needs no access to the data, and the plan cannot disagree with what a load would see.
 */
import { type Client, WorkflowFailedError } from '@temporalio/client';
import { batchesOf, childKey, partitionWorkflowId } from '../common/ids';
import { lastRunStatus } from '../common/last-run';
import { mapLimit } from '../common/map-limit';
import { plannedKeys } from '../common/partitions';
import { wouldRun } from '../common/reprocess';
import type { BackfillSpec } from '../common/spec';
import type { PartitionListing } from '../common/types';
import { PLAN_PAGE, type planWorkflow } from '../workflows/plan';
import { rootMessage, runOnWorker } from './on-worker';

export interface PlannedPartition {
  key: string;
  childId: string;
  files: number;
  bytes: number;
  /** Shards it would load in (spec source.shards; 0 = unsharded, as without shards). */
  shards: number;
  lastRun: string;
  action: 'run' | 'skip';
}

export interface PlanOptions {
  taskQueue: string;
  backfillId?: string;
  /** How long a plan workflow may wait for a worker to pick it up (default 10 s). */
  workerTimeoutMs?: number;
}

export async function planBackfill(
  client: Client,
  spec: BackfillSpec,
  options: PlanOptions,
): Promise<PlannedPartition[]> {
  const backfillId = options.backfillId ?? spec.name;
  const keys = plannedKeys(spec);
  const listing: Required<PartitionListing> = { files: [], bytes: [], shards: [] };
  for (const page of batchesOf(keys, PLAN_PAGE)) {
    const listed = await listOnWorker(client, { backfillId, spec, partitionKeys: page }, options);
    listing.files.push(...listed.files);
    listing.bytes.push(...listed.bytes);
    listing.shards.push(...(listed.shards ?? listed.files.map(() => 0)));
  }
  const index = new Map(keys.map((key, i) => [key, i]));
  const planned = await mapLimit(batchesOf(keys, spec.partitionsPerChild), 16, async (batch) => {
    const childId = partitionWorkflowId(backfillId, childKey(batch));
    const lastRun = await lastRunStatus(client, childId);
    const action: PlannedPartition['action'] = wouldRun(spec.reprocess, lastRun) ? 'run' : 'skip';
    return batch.map((key) => {
      const i = index.get(key)!;
      return {
        key,
        childId,
        files: listing.files[i] ?? 0,
        bytes: listing.bytes[i] ?? 0,
        shards: listing.shards[i] ?? 0,
        lastRun,
        action,
      };
    });
  });
  return planned.flat();
}

/** Runs one plan workflow on a worker and waits for its listing. */
async function listOnWorker(
  client: Client,
  input: Parameters<typeof planWorkflow>[0],
  options: PlanOptions,
): Promise<PartitionListing> {
  try {
    return await runOnWorker<PartitionListing>(client, 'planWorkflow', input, {
      ...options,
      workflowId: `${input.backfillId}/plan`,
      summary: `plan ${input.backfillId}: list ${input.partitionKeys.length} partitions`,
      why: 'backfill plan lists files on a worker, with its credentials',
    });
  } catch (err) {
    if (err instanceof WorkflowFailedError)
      throw new Error(`listing the partitions on a worker failed: ${rootMessage(err)}`);
    throw err;
  }
}
