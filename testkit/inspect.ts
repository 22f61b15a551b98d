/** What tests and benchmarks read from Temporal about a backfill: heartbeats, statuses, history sizes. */
import type { Client } from '@temporalio/client';
import { getStatus } from '../client/backfills';
import type { PartitionStatus } from '../common/types';
import type { TestEnv } from './env';
import { waitFor } from './wait';

/** The pending activity's last heartbeat of a partition's child workflow, if it has one. */
export async function partitionHeartbeat(env: TestEnv, childId: string): Promise<unknown> {
  const description = await env.client.workflow.getHandle(childId).describe();
  const pending = description.raw.pendingActivities?.[0];
  const payload = pending?.heartbeatDetails?.payloads?.[0];
  if (!payload) return undefined;
  return env.client.options.loadedDataConverter.payloadConverter.fromPayload(payload);
}

/** Waits until a partition of the backfill shows the status (in `backfill status`, i.e. the query). */
export function waitForPartitionStatus(
  env: TestEnv,
  backfillId: string,
  key: string,
  status: PartitionStatus,
): Promise<true> {
  return waitFor(`${key} ${status}`, async () => {
    const partitions = (await getStatus(env.client, backfillId)).partitions;
    return partitions?.find((p) => p.key === key)?.status === status;
  });
}

/** The history length of every run of a workflow ID (its continue-as-new chain). */
export async function historyLengths(client: Client, workflowId: string): Promise<number[]> {
  const lengths: number[] = [];
  // Runs from visibility, lengths from describe (visibility's count can lag); a parent run's full
  // history can exceed gRPC's 4 MB message limit, so it is not fetched.
  for await (const run of client.workflow.list({ query: `WorkflowId = '${workflowId}'` }))
    lengths.push((await client.workflow.getHandle(workflowId, run.runId).describe()).historyLength);
  return lengths;
}
