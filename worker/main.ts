/**
 * Worker process entry: `node dist/worker/main.js` (or `backfill worker`). Reads the environment,
 * connects to Temporal, and runs until SIGTERM/SIGINT, when it stops taking tasks and lets running
 * loads finish within the grace period (past it they are cancelled and roll back; Temporal retries
 * them elsewhere after the heartbeat timeout).
 */
import { duckdbThreads, loadConfig, type Config } from '../common/config';
import { connectionOptions } from '../common/connection-options';
import { durationMs } from '../common/duration';
import { connectWithRetry } from './connect';
import { createLogger } from './logger';
import { installRuntime, sdkLogLevel } from './runtime';
import { createBackfillWorker } from './worker';
import { createWorkerS3Source, workerS3Defaults } from './s3';
import { parseSize } from '../loading/staging/engine';
import { createMetrics, serveMetrics, type MetricsServer } from './metrics';
import { freePort } from './free-port';
import type { Faults } from '../activities/deps';

/** Test-only fault injection via env, so chaos tests can hold a partition open in a worker process. */
function faultsFromEnv(env: NodeJS.ProcessEnv): Faults | undefined {
  const beforeCommit = Number(env.BACKFILL_FAULT_DELAY_BEFORE_COMMIT_MS ?? 0);
  const afterFile = Number(env.BACKFILL_FAULT_DELAY_AFTER_FILE_MS ?? 0);
  if (!(beforeCommit > 0) && !(afterFile > 0)) return undefined;
  return { delayBeforeCommitMs: () => beforeCommit, delayAfterFileMs: () => afterFile };
}

export async function runWorker(config: Config = loadConfig()): Promise<void> {
  const logger = createLogger({ level: config.LOG_LEVEL });
  const metricsEnabled = config.BACKFILL_METRICS_PORT !== 0;
  // The SDK runtime's own Prometheus exporter, on a loopback port (appended to our /metrics).
  const sdkMetricsAddress = metricsEnabled ? `127.0.0.1:${await freePort()}` : undefined;
  installRuntime(logger, sdkLogLevel(config.LOG_LEVEL), sdkMetricsAddress);
  const metrics = createMetrics();
  const connection = await connectWithRetry(
    connectionOptions(config),
    { timeoutMs: durationMs(config.BACKFILL_CONNECT_TIMEOUT) },
    logger,
  );
  let metricsServer: MetricsServer | undefined;
  try {
    const { worker, commitWorker, run } = await createBackfillWorker({
      metrics,
      s3: createWorkerS3Source(config, metrics),
      s3Defaults: workerS3Defaults(config),
      ...(config.BACKFILL_STAGING_DIR ? { stagingDir: config.BACKFILL_STAGING_DIR } : {}),
      downloadConcurrency: config.BACKFILL_DOWNLOAD_CONCURRENCY,
      resumeMinBytes: sizeBytes(config.BACKFILL_RESUME_MIN_BYTES),
      lakeConnectWindowMs: durationMs(config.BACKFILL_LAKE_CONNECT_TIMEOUT),
      readPath: config.BACKFILL_READ_PATH,
      ...(config.BACKFILL_WORKER_IDENTITY ? { identity: config.BACKFILL_WORKER_IDENTITY } : {}),
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.BACKFILL_TASK_QUEUE,
      ...(config.BACKFILL_COMMIT_TASK_QUEUE ? { commitTaskQueue: config.BACKFILL_COMMIT_TASK_QUEUE } : {}),
      logger,
      duckdb: {
        memoryLimit: config.BACKFILL_DUCKDB_MEMORY_LIMIT,
        threads: duckdbThreads(config),
        ...(config.BACKFILL_DUCKDB_TEMP_DIR ? { tempDirectory: config.BACKFILL_DUCKDB_TEMP_DIR } : {}),
      },
      maxConcurrentActivities: config.BACKFILL_MAX_CONCURRENT_ACTIVITIES,
      maxConcurrentWorkflowTasks: config.BACKFILL_MAX_CONCURRENT_WORKFLOW_TASKS,
      shutdownGraceTime: config.BACKFILL_SHUTDOWN_GRACE,
      faults: faultsFromEnv(process.env),
    });
    if (metricsEnabled) {
      metricsServer = await serveMetrics({
        registry: metrics.registry,
        host: config.BACKFILL_METRICS_HOST,
        port: config.BACKFILL_METRICS_PORT,
        ...(sdkMetricsAddress ? { sdkMetricsUrl: `http://${sdkMetricsAddress}/metrics` } : {}),
        healthy: () =>
          worker.getState() === 'RUNNING' && (commitWorker?.getState() ?? 'RUNNING') === 'RUNNING',
      });
      logger.info(
        { metrics: `http://${config.BACKFILL_METRICS_HOST}:${metricsServer.port}/metrics` },
        'metrics served',
      );
    }
    logger.info(
      {
        taskQueue: config.BACKFILL_TASK_QUEUE,
        ...(config.BACKFILL_COMMIT_TASK_QUEUE ? { commitTaskQueue: config.BACKFILL_COMMIT_TASK_QUEUE } : {}),
        namespace: config.TEMPORAL_NAMESPACE,
      },
      'worker started',
    );
    await run();
    logger.info({ state: worker.getState() }, 'worker stopped');
  } finally {
    await metricsServer?.close();
    await connection.close();
  }
}

if (require.main === module) {
  runWorker().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`worker failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}

/** "64MiB" or a plain byte count (the forms BACKFILL_RESUME_MIN_BYTES accepts) → bytes. */
const sizeBytes = (text: string) => (/^\d+$/.test(text.trim()) ? Number(text) : parseSize(text));
