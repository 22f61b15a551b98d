/** A real worker in the test process (workflow bundle built once per process), and its lifetime. */
import { after, before } from 'node:test';
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Faults } from '../activities/deps';
import type { Source } from '../loading/sources';
import { createBackfillWorker } from '../worker/worker';
import { startTestEnv, type TestEnv } from './env';
import { uniqueId } from './fixtures';
import { logger } from './logger';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
export function workflowBundle() {
  bundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: new DefaultLogger('WARN'),
  });
  return bundle;
}

export interface RunningWorker {
  taskQueue: string;
  stop: () => Promise<void>;
}

export interface TestWorkerOptions {
  taskQueue?: string;
  faults?: Faults;
  s3?: Source;
  maxConcurrentActivities?: number;
  /** How long a DuckLake commit waits for an unreachable catalog. */
  lakeConnectWindowMs?: number;
  /** Also poll this queue for the target's writes (BACKFILL_COMMIT_TASK_QUEUE). */
  commitTaskQueue?: string;
}

export async function startWorker(env: TestEnv, options: TestWorkerOptions = {}): Promise<RunningWorker> {
  const taskQueue = options.taskQueue ?? uniqueId('tq');
  const backfillWorker = await createBackfillWorker({
    connection: env.server.nativeConnection,
    namespace: env.server.namespace,
    taskQueue,
    logger,
    duckdb: { memoryLimit: '1GB', threads: 1 },
    workflowBundle: await workflowBundle(),
    shutdownGraceTime: '5s',
    maxConcurrentActivities: options.maxConcurrentActivities ?? 4,
    maxConcurrentWorkflowTasks: 10,
    ...(options.faults ? { faults: options.faults } : {}),
    ...(options.s3 ? { s3: options.s3 } : {}),
    ...(options.lakeConnectWindowMs !== undefined
      ? { lakeConnectWindowMs: options.lakeConnectWindowMs }
      : {}),
    ...(options.commitTaskQueue ? { commitTaskQueue: options.commitTaskQueue } : {}),
  });
  void backfillWorker.run();
  // Idempotent, so a test may stop the worker early and the suite's `after` still stop it safely.
  let stopped: Promise<void> | undefined;
  return { taskQueue, stop: () => (stopped ??= backfillWorker.stop()) };
}

export interface ServerWithWorker {
  env: TestEnv;
  worker: RunningWorker;
  /** The environment that points a `backfill` process at this server and the worker's task queue. */
  serverEnv: () => Record<string, string>;
}

/**
 * A dev server and one worker for the suite around it: started before its tests, the worker
 * stopped before the server after them. The objects are filled in place.
 */
export function useServerWithWorker(): ServerWithWorker {
  const env = {} as TestEnv;
  const worker = {} as RunningWorker;
  before(async () => {
    Object.assign(env, await startTestEnv());
    Object.assign(worker, await startWorker(env));
  });
  after(async () => {
    await worker.stop?.();
    await env.server?.stop();
  });
  return {
    env,
    worker,
    serverEnv: () => ({ TEMPORAL_ADDRESS: env.server.address, BACKFILL_TASK_QUEUE: worker.taskQueue }),
  };
}

/**
 * Runs `fn` with a worker on a fresh task queue and stops the worker afterwards, also when `fn`
 * throws. Once it resolves the worker has released its DuckDB files, so the target can be read.
 */
export async function withWorker<T>(env: TestEnv, fn: (worker: RunningWorker) => Promise<T>): Promise<T>;
export async function withWorker<T>(
  env: TestEnv,
  options: TestWorkerOptions,
  fn: (worker: RunningWorker) => Promise<T>,
): Promise<T>;
export async function withWorker<T>(
  env: TestEnv,
  ...args:
    [(worker: RunningWorker) => Promise<T>] | [TestWorkerOptions, (worker: RunningWorker) => Promise<T>]
): Promise<T> {
  const [options, fn] = args.length === 1 ? [{}, args[0]] : args;
  const worker = await startWorker(env, options);
  try {
    return await fn(worker);
  } finally {
    await worker.stop();
  }
}
