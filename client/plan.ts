/**
 * Dry run: what a backfill would do — each partition's files and bytes, its last run (Temporal's
 * record under the deterministic child ID), and whether the reprocess mode would run or skip it.
 * The files are listed on a worker (`planWorkflow`), with the workers' sources and credentials:
 * the CLI needs no access to the data, and the plan cannot disagree with what a load would see.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure, type Client, WorkflowFailedError } from '@temporalio/client';
import { batchesOf, childKey, partitionWorkflowId } from '../common/ids';
import { lastRunStatus } from '../common/last-run';
import { mapLimit } from '../common/map-limit';
import { plannedKeys } from '../common/partitions';
import { wouldRun } from '../common/reprocess';
import type { BackfillSpec } from '../common/spec';
import type { PartitionListing } from '../common/types';
import { PLAN_PAGE, type planWorkflow } from '../workflows/plan';
import { NoWorkerError } from './errors';

export interface PlannedPartition {
  key: string;
  childId: string;
  files: number;
  bytes: number;
  lastRun: string;
  action: 'run' | 'skip';
}

export interface PlanOptions {
  taskQueue: string;
  backfillId?: string;
  /** How long a plan workflow may wait for a worker to pick it up (default 10 s). */
  workerTimeoutMs?: number;
}

const WORKER_TIMEOUT_MS = 10_000;

export async function planBackfill(
  client: Client,
  spec: BackfillSpec,
  options: PlanOptions,
): Promise<PlannedPartition[]> {
  const backfillId = options.backfillId ?? spec.name;
  const keys = plannedKeys(spec);
  const listing: PartitionListing = { files: [], bytes: [] };
  for (const page of batchesOf(keys, PLAN_PAGE)) {
    const listed = await listOnWorker(client, { backfillId, spec, partitionKeys: page }, options);
    listing.files.push(...listed.files);
    listing.bytes.push(...listed.bytes);
  }
  const index = new Map(keys.map((key, i) => [key, i]));
  const planned = await mapLimit(batchesOf(keys, spec.partitionsPerChild), 16, async (batch) => {
    const childId = partitionWorkflowId(backfillId, childKey(batch));
    const lastRun = await lastRunStatus(client, childId);
    const action: PlannedPartition['action'] = wouldRun(spec.reprocess, lastRun) ? 'run' : 'skip';
    return batch.map((key) => {
      const i = index.get(key)!;
      return { key, childId, files: listing.files[i] ?? 0, bytes: listing.bytes[i] ?? 0, lastRun, action };
    });
  });
  return planned.flat();
}

/**
 * Runs one plan workflow and waits for its listing. If no worker has picked it up within the
 * timeout, it is terminated (so it does not run later) and the error says a worker is needed.
 */
async function listOnWorker(
  client: Client,
  input: Parameters<typeof planWorkflow>[0],
  options: PlanOptions,
): Promise<PartitionListing> {
  const handle = await client.workflow.start<typeof planWorkflow>('planWorkflow', {
    workflowId: `${input.backfillId}/plan-${randomUUID().slice(0, 8)}`,
    taskQueue: options.taskQueue,
    args: [input],
    // Bounded even if the CLI goes away: a plan nobody waits for must not linger.
    workflowExecutionTimeout: '1h',
    staticSummary: `plan ${input.backfillId}: list ${input.partitionKeys.length} partitions`,
  });
  const result = handle.result();
  result.catch(() => undefined); // awaited below, or abandoned after terminate
  const timeoutMs = options.workerTimeoutMs ?? WORKER_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>(
    (resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)),
  );
  try {
    const first = await Promise.race([result, timedOut]);
    if (first !== 'timeout') return first;
    // A worker that picked up the first workflow task has written past the two opening events.
    const description = await handle.describe();
    if (description.historyLength <= 2 && description.status.name === 'RUNNING') {
      await handle.terminate('no worker picked up the plan').catch(() => undefined);
      throw new NoWorkerError(
        `no worker answered on task queue "${options.taskQueue}" within ${Math.round(timeoutMs / 1000)}s: ` +
          'backfill plan lists files on a worker, with its credentials (start one: "backfill worker" or "backfill dev")',
      );
    }
    return await result;
  } catch (err) {
    if (err instanceof WorkflowFailedError)
      throw new Error(`listing the partitions on a worker failed: ${rootMessage(err)}`);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** The innermost cause, with its failure type when it has one (e.g. SourceAccessError). */
function rootMessage(err: Error): string {
  let e: Error = err;
  while (e.cause instanceof Error) e = e.cause;
  return e instanceof ApplicationFailure && e.type ? `${e.type}: ${e.message}` : e.message;
}
