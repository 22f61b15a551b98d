/**
 * A whole DuckLake cluster on this machine, for the lake demo and benchmark: a real PostgreSQL (the
 * catalog), a real MinIO (the data), the Temporal dev server, and N real worker processes on one
 * task queue with the lake's credentials in their environment. Reports what each worker did from
 * its own log lines and Prometheus metrics.
 */
import { Client } from '@temporalio/client';
import { startDevServer, type DevServer } from '../client/dev-server';
import { startLakeServers, type LakeServers } from './lake-servers';
import { pollersReady } from './pollers';
import { freePort } from './ports';
import { spawnWorker, type WorkerProcess } from './processes';
import { uniqueId } from './fixtures';

/** The lake's servers (PostgreSQL, MinIO) and the Temporal dev server with a client. */
export interface LakeCluster extends LakeServers {
  server: DevServer;
  client: Client;
}

export async function startLakeCluster(options: { dbFile?: string } = {}): Promise<LakeCluster> {
  const [lake, server] = await Promise.all([
    startLakeServers(),
    startDevServer(options.dbFile ? { dbFile: options.dbFile } : {}),
  ]);
  return {
    ...lake,
    server,
    client: new Client({ connection: server.connection, namespace: server.namespace }),
    async stop() {
      await server.stop();
      await lake.stop();
    },
  };
}

export interface WorkerPool {
  taskQueue: string;
  workers: WorkerProcess[];
  /** Partitions each worker committed ("partition loaded" in its own log). */
  committed: () => number[];
  /** Summed over the workers' /metrics: seconds in commits, in whole load attempts, conflicts retried (and their seconds), seconds waiting for the commit lock. */
  metrics: () => Promise<{
    commitSeconds: number;
    loadSeconds: number;
    conflicts: number;
    conflictSeconds: number;
    lockWaitSeconds: number;
  }>;
  stop: () => Promise<void>;
}

/** Where a pool's workers connect: a dev server, its client, and the lake's credentials if any. */
export type PoolHost = Pick<LakeCluster, 'server' | 'client'> & Partial<Pick<LakeCluster, 'lakeEnv'>>;

/** N worker processes on a fresh task queue; resolves once they all poll it. */
export async function startWorkerPool(
  cluster: PoolHost,
  count: number,
  env: Record<string, string> = {},
): Promise<WorkerPool> {
  const taskQueue = uniqueId('lake');
  const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
  const address = { address: cluster.server.address, namespace: cluster.server.namespace };
  const workers = ports.map((port) =>
    spawnWorker(address, taskQueue, {
      ...cluster.lakeEnv?.(),
      LOG_LEVEL: 'info',
      BACKFILL_METRICS_HOST: '127.0.0.1',
      BACKFILL_METRICS_PORT: String(port),
      ...env,
    }),
  );
  await pollersReady(cluster.client, taskQueue, count);
  const metric = (text: string, name: string) =>
    [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'gm'))].reduce(
      (sum, m) => sum + Number(m[1]),
      0,
    );
  return {
    taskQueue,
    workers,
    committed: () => workers.map((w) => w.logs.filter((l) => l.includes('"msg":"partition loaded"')).length),
    async metrics() {
      const texts = await Promise.all(
        ports.map(async (port) => (await fetch(`http://127.0.0.1:${port}/metrics`)).text()),
      );
      return {
        commitSeconds: texts.reduce((s, t) => s + metric(t, 'backfill_merge_duration_seconds_sum'), 0),
        loadSeconds: texts.reduce((s, t) => s + metric(t, 'backfill_activity_duration_seconds_sum'), 0),
        conflicts: texts.reduce((s, t) => s + metric(t, 'backfill_commit_conflicts_retried_total'), 0),
        conflictSeconds: texts.reduce((s, t) => s + metric(t, 'backfill_commit_conflict_seconds_total'), 0),
        lockWaitSeconds: texts.reduce((s, t) => s + metric(t, 'backfill_commit_lock_wait_seconds_total'), 0),
      };
    },
    async stop() {
      await Promise.all(workers.map((w) => w.kill('SIGTERM')));
    },
  };
}
