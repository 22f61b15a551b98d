/** Real worker processes (node dist/worker/main.js), for crash, shutdown, TLS and log tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export interface WorkerProcess {
  process: ChildProcess;
  /** Its stdout: pino's JSON lines. */
  logs: string[];
  exited: Promise<number | null>;
  /** Sends the signal (SIGTERM unless said) and resolves with the exit code once it has exited. */
  kill: (signal?: NodeJS.Signals) => Promise<number | null>;
}

export interface ServerAddress {
  address: string;
  namespace: string;
}

/** A real worker process on a test server. */
export function spawnWorker(
  server: ServerAddress,
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
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    process: child,
    logs,
    exited,
    kill: (signal = 'SIGTERM') => {
      child.kill(signal);
      return exited;
    },
  };
}

/** Runs `fn` with a worker process and stops it (SIGTERM, then waits for its exit) afterwards. */
export async function withWorkerProcess<T>(
  server: ServerAddress,
  taskQueue: string,
  extraEnv: Record<string, string>,
  fn: (worker: WorkerProcess) => Promise<T>,
): Promise<T> {
  const worker = spawnWorker(server, taskQueue, extraEnv);
  try {
    return await fn(worker);
  } finally {
    await worker.kill('SIGTERM');
  }
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
