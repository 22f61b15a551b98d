/**
 * Builds a backfill worker: the activities' real dependencies (staging engine, sources, destinations,
 * logger) and the Temporal Worker. Used by worker/main.ts, `backfill dev`, the demo and tests.
 */
import { hostname } from 'node:os';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Duration } from '@temporalio/common';
import type { Logger } from 'pino';
import { createActivities } from '../activities';
import type { Faults, ActivityMetrics } from '../activities/deps';
import { createDestinations } from '../loading/destinations';
import { sourceByScheme, type Source } from '../loading/sources';
import { StagingEngine, type DuckDbSettings } from '../loading/staging/engine';
import type { ReadPath } from '../loading/staging/fast-read';
import type { S3Defaults } from '../loading/sources/s3-source';

export interface BackfillWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /**
   * Also poll this queue (BACKFILL_COMMIT_TASK_QUEUE), activities only: the process holding a
   * DuckDB file takes the commits and maintenance a spec's target.commitTaskQueue sends there.
   */
  commitTaskQueue?: string;
  logger: Logger;
  duckdb: DuckDbSettings;
  maxConcurrentActivities?: number;
  maxConcurrentWorkflowTasks?: number;
  shutdownGraceTime?: string;
  metrics?: ActivityMetrics;
  faults?: Faults;
  /** The S3 source (built from the AWS SDK chain by the caller). */
  s3?: Source;
  /** Where staged files wait for a retry after a crash. */
  stagingDir?: string;
  /** Files of one partition downloaded at once, ahead of staging. */
  downloadConcurrency?: number;
  /** Partitions of at least this many source bytes keep staged files for file-level resume. */
  resumeMinBytes?: number;
  /** How long a DuckLake commit waits for an unreachable catalog (BACKFILL_LAKE_CONNECT_TIMEOUT). */
  lakeConnectWindowMs?: number;
  /** auto: clean files take the optimistic read; line: every file is read line by line. */
  readPath?: ReadPath;
  /** The worker's S3 defaults (BACKFILL_S3_*), for an S3 staging uri (sharded partitions). */
  s3Defaults?: S3Defaults;
  /** Temporal worker identity (named in shard stats); default pid@hostname, Temporal's own default. */
  identity?: string;
  /** Prebuilt workflow bundle (tests build it once); default bundles ../workflows. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export interface BackfillWorker {
  worker: Worker;
  /** The second Worker on the commit task queue, when one was asked for. */
  commitWorker?: Worker;
  /** Runs until shutdown; then detaches the target files (checkpointing them) and closes the staging engine. */
  run: () => Promise<void>;
  /** Graceful stop: no new tasks, running ones finish within the grace time; resolves once stopped. */
  stop: () => Promise<void>;
}

export async function createBackfillWorker(options: BackfillWorkerOptions): Promise<BackfillWorker> {
  const staging = new StagingEngine(options.duckdb);
  const destinations = createDestinations(staging, {
    lake: {
      onConflict: (seconds) => options.metrics?.commitConflict?.(seconds),
      onLockWait: (seconds) => options.metrics?.commitLockWait?.(seconds),
      ...(options.lakeConnectWindowMs !== undefined ? { connectWindowMs: options.lakeConnectWindowMs } : {}),
    },
  });
  const identity = options.identity ?? `${process.pid}@${hostname()}`;
  const activities = createActivities({
    workerIdentity: identity,
    ...(options.s3Defaults ? { s3Defaults: options.s3Defaults } : {}),
    logger: options.logger,
    source: sourceByScheme(options.s3 ? { s3: options.s3 } : {}),
    staging,
    destinations,
    metrics: options.metrics,
    faults: options.faults,
    ...(options.stagingDir ? { stagingDir: options.stagingDir } : {}),
    ...(options.downloadConcurrency ? { downloadConcurrency: options.downloadConcurrency } : {}),
    ...(options.resumeMinBytes !== undefined ? { resumeMinBytes: options.resumeMinBytes } : {}),
    ...(options.readPath ? { readPath: options.readPath } : {}),
  });
  const common = {
    connection: options.connection,
    namespace: options.namespace,
    identity,
    activities,
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivities ?? 4,
    shutdownGraceTime: (options.shutdownGraceTime ?? '30s') as Duration,
  };
  const worker = await Worker.create({
    ...common,
    taskQueue: options.taskQueue,
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: require.resolve('../workflows') }),
    maxConcurrentWorkflowTaskExecutions: options.maxConcurrentWorkflowTasks ?? 40,
  });
  // The same activities object, so the same staging engine and destinations: one process holds the file.
  const commitWorker = options.commitTaskQueue
    ? await Worker.create({ ...common, taskQueue: options.commitTaskQueue })
    : undefined;
  const workers = commitWorker ? [worker, commitWorker] : [worker];
  const stopAll = () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  };
  let running: Promise<void> | undefined;
  const run = () => {
    running ??= (async () => {
      try {
        // Either one ending (a signal, a fatal error) drains the other; the files close after both.
        const ended = await Promise.allSettled(workers.map((w) => w.run().finally(stopAll)));
        const failed = ended.find((r) => r.status === 'rejected');
        if (failed) throw failed.reason;
      } finally {
        // Detaching the target files checkpoints them, so other processes can open them at once.
        await destinations.close();
        await staging.close();
      }
    })();
    return running;
  };
  return {
    worker,
    ...(commitWorker ? { commitWorker } : {}),
    run,
    stop: async () => {
      // The SDK also reacts to SIGINT/SIGTERM itself, so the workers may already be draining.
      stopAll();
      await running;
    },
  };
}
