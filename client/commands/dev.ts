/**
 * `backfill dev`: the embedded default — a persistent Temporal dev server (SQLite under .backfill/,
 * gRPC 7233, Web UI 8233, 30-day retention, search attributes registered) and a worker, in the
 * foreground. Ctrl-C stops both.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { duckdbThreads } from '../../common/config';
import type { Command } from 'commander';
import { startDevServer } from '../dev-server';
import type { CliContext } from '../context';
import { parseInteger } from '../context';
import { PROJECT_ROOT } from '../tools';
import { createLogger } from '../../worker/logger';
import { installRuntime } from '../../worker/runtime';
import { createBackfillWorker } from '../../worker/worker';
import { createWorkerS3Source } from '../../worker/s3';

export const DEV_STATE_DIR = path.join(PROJECT_ROOT, '.backfill');

export interface DevFlags {
  port: number;
  uiPort: number;
  dbFile: string;
  worker: boolean;
}

export function registerDev(program: Command, ctx: CliContext) {
  program
    .command('dev')
    .description('run a local Temporal dev server (with Web UI) and a worker until Ctrl-C')
    .option('--port <n>', 'gRPC port', parseInteger, 7233)
    .option('--ui-port <n>', 'Web UI port', parseInteger, 8233)
    .option('--db-file <file>', 'SQLite file of the server', path.join(DEV_STATE_DIR, 'temporal.db'))
    .option('--no-worker', 'run only the server')
    .action(async (flags: DevFlags) => {
      mkdirSync(path.dirname(path.resolve(flags.dbFile)), { recursive: true });
      const logger = createLogger({ level: ctx.config.LOG_LEVEL });
      installRuntime(logger, 'WARN');
      ctx.err('starting the Temporal dev server (the first start may build the Temporal CLI)...');
      const server = await startDevServer({
        dbFile: path.resolve(flags.dbFile),
        port: flags.port,
        uiPort: flags.uiPort,
      });
      ctx.err(`Temporal dev server on ${server.address}, Web UI ${server.uiUrl}, state in ${flags.dbFile}`);
      let stopWorker = async () => {};
      if (flags.worker) {
        const backfillWorker = await createBackfillWorker({
          connection: server.nativeConnection,
          namespace: server.namespace,
          taskQueue: ctx.config.BACKFILL_TASK_QUEUE,
          logger,
          duckdb: {
            memoryLimit: ctx.config.BACKFILL_DUCKDB_MEMORY_LIMIT,
            threads: duckdbThreads(ctx.config),
          },
          maxConcurrentActivities: ctx.config.BACKFILL_MAX_CONCURRENT_ACTIVITIES,
          s3: createWorkerS3Source(ctx.config),
        });
        void backfillWorker.run();
        stopWorker = backfillWorker.stop;
        ctx.err(`worker polling task queue "${ctx.config.BACKFILL_TASK_QUEUE}"; Ctrl-C to stop`);
      }
      await untilSignal();
      ctx.err('stopping...');
      await stopWorker();
      await server.stop();
    });
}

/**
 * Resolves at SIGINT or SIGTERM. Signal listeners do not keep Node's event loop alive, and the
 * server runs in a process the SDK's native runtime owns, so without the worker's polling nothing
 * would: a ref'd timer holds the process in the foreground until the signal.
 */
function untilSignal(): Promise<void> {
  const keepAlive = setInterval(() => {}, 1 << 30);
  return new Promise<void>((resolve) => {
    const done = () => {
      clearInterval(keepAlive);
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}
