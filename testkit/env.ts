/** A real Temporal dev server for a suite, and what tests read from it. */
import { after, before } from 'node:test';
import { Client } from '@temporalio/client';
import { getStatus } from '../client/backfills';
import { startDevServer, type DevServer } from '../client/dev-server';
import type { PartitionStatus } from '../common/types';
import { waitFor } from './wait';

export interface TestEnv {
  server: DevServer;
  client: Client;
}

export async function startTestEnv(options: Parameters<typeof startDevServer>[0] = {}): Promise<TestEnv> {
  const server = await startDevServer(options);
  const client = new Client({ connection: server.connection, namespace: server.namespace });
  return { server, client };
}

/**
 * A real dev server for the suite around it: started before its tests, stopped after. The object
 * is filled in place, so tests use it as a plain TestEnv.
 */
export function useTestEnv(): TestEnv {
  const env = {} as TestEnv;
  before(async () => {
    Object.assign(env, await startTestEnv());
  });
  after(async () => {
    await env.server?.stop();
  });
  return env;
}

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
