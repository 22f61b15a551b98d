/**
 * Dry run: what a backfill would do — each partition's files and bytes, its last run (Temporal's
 * record under the deterministic child ID), and whether the reprocess mode would run or skip it.
 */
import type { Client } from '@temporalio/client';
import { lastRunStatus } from '../activities/child-runs';
import { createSources, type Source } from '../loading/sources';
import { batchesOf, childKey, partitionWorkflowId } from '../common/ids';
import { planPartitionKeys } from '../common/partitions';
import { mapLimit } from '../common/map-limit';
import { wouldRun } from '../common/reprocess';
import type { BackfillSpec } from '../common/spec';

export interface PlannedPartition {
  key: string;
  childId: string;
  files: number;
  bytes: number;
  lastRun: string;
  action: 'run' | 'skip';
}

export async function planBackfill(
  client: Client,
  spec: BackfillSpec,
  options: { backfillId?: string; source?: Source } = {},
): Promise<PlannedPartition[]> {
  const backfillId = options.backfillId ?? spec.name;
  const source = options.source ?? createSources();
  let keys = spec.partitions ?? planPartitionKeys(spec.range.from, spec.range.to, spec.range.granularity);
  keys = [...keys].sort();
  if (spec.order === 'newest') keys.reverse();
  const planned = await mapLimit(batchesOf(keys, spec.partitionsPerChild), 16, async (batch) => {
    const childId = partitionWorkflowId(backfillId, childKey(batch));
    const lastRun = await lastRunStatus(client, childId);
    const action: PlannedPartition['action'] = wouldRun(spec.reprocess, lastRun) ? 'run' : 'skip';
    return Promise.all(
      batch.map(async (key) => {
        const files = await source.list(spec, key);
        return {
          key,
          childId,
          files: files.length,
          bytes: files.reduce((s, f) => s + f.size, 0),
          lastRun,
          action,
        };
      }),
    );
  });
  return planned.flat();
}
