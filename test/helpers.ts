/** Shared test helpers: a real dev server, a real in-process worker, temp dirs, target readers. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { after, before } from 'node:test';
import { mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Faults } from '../activities/deps';
import type { Source } from '../loading/sources';
import { startDevServer, type DevServer } from '../client/dev-server';
import { parseSpec, type BackfillSpec, type BackfillSpecInput } from '../common/spec';
import { createLogger } from '../worker/logger';
import { installRuntime } from '../worker/runtime';
import { createBackfillWorker } from '../worker/worker';
import assert from 'node:assert/strict';
import { oracleLines, TARGET_LINES_SQL, TRANSACTIONS_SCHEMA, type OracleRow } from '../scripts/dataset';

export const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
installRuntime(logger, 'WARN');

export const tempDir = (prefix = 'backfill-test-') => mkdtempSync(path.join(tmpdir(), prefix));
export const uniqueId = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
export function workflowBundle() {
  bundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: new DefaultLogger('WARN'),
  });
  return bundle;
}

export interface TestEnv {
  server: DevServer;
  client: Client;
}

export async function startTestEnv(): Promise<TestEnv> {
  const server = await startDevServer();
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

export interface RunningWorker {
  taskQueue: string;
  stop: () => Promise<void>;
}

export async function startWorker(
  env: TestEnv,
  options: { taskQueue?: string; faults?: Faults; s3?: Source; maxConcurrentActivities?: number } = {},
): Promise<RunningWorker> {
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
  });
  void backfillWorker.run();
  return { taskQueue, stop: backfillWorker.stop };
}

/** A transactions spec with short retry and heartbeat intervals, for the dev server. */
export function transactionsSpec(overrides: {
  name: string;
  source: string;
  target: string;
  from: string;
  to: string;
  extra?: Partial<BackfillSpecInput>;
}): BackfillSpec {
  return parseSpec({
    name: overrides.name,
    source: { uri: overrides.source },
    schema: TRANSACTIONS_SCHEMA,
    target: {
      path: overrides.target,
      table: 'transactions',
      partitionColumns: ['year', 'month'],
      keyColumns: ['transaction_id'],
      orderingColumn: 'updated_at',
    },
    range: { from: overrides.from, to: overrides.to },
    maxConcurrency: 3,
    retry: { maximumAttempts: 3, initialInterval: '100ms', backoffCoefficient: 2, maximumInterval: '500ms' },
    heartbeatTimeout: '3s',
    ...overrides.extra,
  });
}

/** Reads a DuckDB file with a fresh instance (the worker must have released it). */
export async function queryFile<T = Record<string, unknown>>(file: string, sql: string): Promise<T[]> {
  const instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  try {
    const conn = await instance.connect();
    const reader = await conn.runAndReadAll(sql);
    conn.closeSync();
    return reader.getRowObjectsJson() as T[];
  } finally {
    instance.closeSync();
  }
}

/** Polls until the predicate holds, or fails after the timeout. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Runs the CLI in-process against the test server; returns its exit code and output lines. */
const BIN = path.resolve(__dirname, '..', '..', 'bin', 'backfill.js');

/** Runs the real binary in its own process (an in-process worker keeps serving meanwhile). */
export function runCliProcess(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, ...env }, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout: stdout.trim(), stderr: stderr.trim() });
      },
    );
  });
}

export async function runCli(
  env: TestEnv,
  taskQueue: string,
  args: string[],
): Promise<{ code: number; out: string[]; err: string[] }> {
  const { main } = await import('../client/cli');
  process.env.TEMPORAL_ADDRESS = env.server.address;
  process.env.TEMPORAL_NAMESPACE = env.server.namespace;
  process.env.BACKFILL_TASK_QUEUE = taskQueue;
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out, err };
}

/** The pending activity's last heartbeat of a partition's child workflow, if it has one. */
export async function partitionHeartbeat(env: TestEnv, childId: string): Promise<unknown> {
  const description = await env.client.workflow.getHandle(childId).describe();
  const pending = description.raw.pendingActivities?.[0];
  const payload = pending?.heartbeatDetails?.payloads?.[0];
  if (!payload) return undefined;
  return env.client.options.loadedDataConverter.payloadConverter.fromPayload(payload);
}

export interface WorkerProcess {
  process: ChildProcess;
  /** Its stdout: pino's JSON lines. */
  logs: string[];
  exited: Promise<number | null>;
}

/** A real worker process (node dist/worker/main.js) on a test server, for crash tests. */
export function spawnWorker(
  server: { address: string; namespace: string },
  taskQueue: string,
  extraEnv: Record<string, string> = {},
): WorkerProcess {
  const child = spawn(process.execPath, [path.resolve(__dirname, '..', 'worker', 'main.js')], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_NAMESPACE: server.namespace,
      BACKFILL_TASK_QUEUE: taskQueue,
      BACKFILL_METRICS_PORT: '0',
      BACKFILL_DUCKDB_MEMORY_LIMIT: '1GB',
      BACKFILL_DUCKDB_THREADS: '1',
      LOG_LEVEL: 'warn',
      // The AWS SDK's "node 22 from 2027" notice, once per worker process, drowns the test output.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const logs: string[] = [];
  let partial = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    logs.push(...lines.filter(Boolean));
  });
  return {
    process: child,
    logs,
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
}

/** Sends a signal to a server process and waits for it to exit; SIGKILL after the grace period. */
export async function stopChild(
  child: { kill: (signal: NodeJS.Signals) => void; exited: Promise<void> },
  signal: NodeJS.Signals,
  graceMs: number,
): Promise<void> {
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Asserts the target table holds exactly the oracle: one row per key, the latest version, same values. */
export async function assertTargetEqualsOracle(
  target: string,
  oracle: Map<string, OracleRow>,
): Promise<void> {
  const lines = (await queryFile<{ line: string }>(target, TARGET_LINES_SQL('transactions'))).map(
    (r) => r.line,
  );
  assert.equal(lines.length, oracle.size, 'row count');
  assert.deepEqual(lines, oracleLines(oracle));
}

/** The DuckDB file a spec's target writes (the default target type). */
export function targetFile(spec: BackfillSpec): string {
  if (spec.target.type !== 'duckdb') throw new Error(`target type ${spec.target.type} is not a DuckDB file`);
  return spec.target.path;
}
