/**
 * Dry run: what a backfill would do — each partition's files and bytes, its last run (Temporal's
 * record under the deterministic child ID), and whether the reprocess mode would run or skip it.
 */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { createSources, type Source } from '../activities/sources';
import { partitionWorkflowId } from '../common/ids';
import { planPartitionKeys } from '../common/partitions';
import type { BackfillSpec } from '../common/spec';

export interface PlannedPartition {
  key: string;
  childId: string;
  files: number;
  bytes: number;
  lastRun: string;
  action: 'run' | 'skip';
}

const FAILED_RUNS = ['FAILED', 'CANCELLED', 'TERMINATED', 'TIMED_OUT'];

/** Mirrors the ID-reuse policies the parent uses per reprocess mode. */
export function wouldRun(reprocess: BackfillSpec['reprocess'], lastRun: string): boolean {
  if (lastRun === 'none') return true;
  if (lastRun === 'RUNNING') return false;
  if (reprocess === 'completed') return true;
  if (reprocess === 'failed') return FAILED_RUNS.includes(lastRun);
  return false;
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
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
  const childKeys: string[][] = [];
  for (let i = 0; i < keys.length; i += spec.partitionsPerChild)
    childKeys.push(keys.slice(i, i + spec.partitionsPerChild));
  const planned = await mapLimit(childKeys, 16, async (batch) => {
    const childKey = batch.length === 1 ? batch[0]! : `${batch[0]}..${batch[batch.length - 1]}`;
    const childId = partitionWorkflowId(backfillId, childKey);
    let lastRun = 'none';
    try {
      lastRun = (await client.workflow.getHandle(childId).describe()).status.name;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
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
