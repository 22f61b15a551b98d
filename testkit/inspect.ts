/**
 * What tests and benchmarks read from Temporal about a backfill: heartbeats, statuses, history
 * sizes, and everything it records that a secret must never reach.
 */
import assert from 'node:assert/strict';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { getStatus, type BackfillStatus } from '../client/backfills';
import type { PartitionStatus } from '../common/types';
import type { PartitionState } from '../workflows/state';
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

/** One activity a workflow has pending: its type, attempt, whether a worker runs it, and which (its pid). */
export interface PendingActivity {
  type: string;
  attempt: number;
  started: boolean;
  /** The pid of the worker process that last took it (from Temporal's default identity pid@host). */
  workerPid: number | undefined;
  /** Its last heartbeat's `stage` (LoadProgress), if it heartbeated one. */
  stage: string | undefined;
}

/** The activities a workflow has pending now (none when it cannot be described). */
export async function pendingActivities(client: Client, workflowId: string): Promise<PendingActivity[]> {
  const description = await client.workflow
    .getHandle(workflowId)
    .describe()
    .catch(() => undefined);
  return (description?.raw.pendingActivities ?? []).map((a) => {
    const pid = Number((a.lastWorkerIdentity ?? '').split('@')[0]);
    const payload = a.heartbeatDetails?.payloads?.[0];
    const details = payload
      ? client.options.loadedDataConverter.payloadConverter.fromPayload<{ stage?: string }>(payload)
      : undefined;
    return {
      type: a.activityType?.name ?? '',
      attempt: a.attempt ?? 1,
      // PENDING_ACTIVITY_STATE_STARTED
      started: Number(a.state) === 2,
      workerPid: Number.isInteger(pid) && pid > 0 ? pid : undefined,
      stage: details?.stage,
    };
  });
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

/**
 * Waits until the backfill's workflow is no longer running (through restarts of the server or the
 * workers: a status that cannot be read yet is polled again); resolves with its last status.
 */
export function waitForBackfillClosed(
  client: Client,
  backfillId: string,
  timeoutMs = 600_000,
): Promise<BackfillStatus> {
  return waitFor(
    'the backfill to close',
    async () => {
      const s = await getStatus(client, backfillId).catch(() => undefined);
      return s && s.workflowStatus !== 'RUNNING' ? s : undefined;
    },
    timeoutMs,
  );
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

/** What Temporal keeps of each workflow, as text: its history (JSON), memo and search attributes. */
export async function workflowRecords(client: Client, workflowIds: string[]): Promise<string[]> {
  const records: string[] = [];
  for (const id of workflowIds) {
    const handle = client.workflow.getHandle(id);
    const description = await handle.describe();
    records.push(
      historyToJSON(await handle.fetchHistory()),
      JSON.stringify(description.memo ?? {}),
      JSON.stringify(description.raw.workflowExecutionInfo?.searchAttributes ?? {}),
    );
  }
  return records;
}

/** Asserts no text holds any of the secrets (named by what they are, for the failure message). */
export function assertNoSecret(texts: string[], secrets: Record<string, string>): void {
  for (const [what, secret] of Object.entries(secrets)) {
    assert.ok(secret.length >= 8, `the ${what} is too short to search for`);
    for (const text of texts) assert.ok(!text.includes(secret), `the ${what} leaked`);
  }
}

/** Each partition's outcome and counts, in order: two backfills of the same files compare equal by them. */
export function partitionCounts(summary: { partitions?: PartitionState[] | undefined }) {
  return (summary.partitions ?? []).map((p) => [
    p.key,
    p.status,
    p.stats?.files,
    p.stats?.bytes,
    p.stats?.rowsRead,
    p.stats?.rowsAccepted,
    p.stats?.duplicatesRemoved,
    p.stats?.rowsRejected,
  ]);
}
