/**
 * `npm run demo`: generates a deterministic dataset (24 monthly partitions, ~1M transactions with
 * duplicate deliveries and late updates), starts the embedded Temporal server (kept in
 * .backfill/temporal.db, so `backfill dev` shows the run afterwards) and a worker, runs the
 * backfill with a live progress bar, checks the target against the oracle and prints a summary.
 * With --lake: three workers load it into a DuckLake on MinIO with a PostgreSQL catalog (demo-lake.ts).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { startBackfill } from '../client/backfills';
import { watchBackfill } from '../client/commands/watch';
import { DEV_STATE_DIR } from '../client/commands/dev';
import { startDevServer, type DevServer } from '../client/dev-server';
import type { CliContext } from '../client/context';
import { duckdbThreads, loadConfig, uiUrl } from '../common/config';
import { parseSpec } from '../common/spec';
import { createLogger } from '../worker/logger';
import { installRuntime } from '../worker/runtime';
import { createBackfillWorker } from '../worker/worker';
import { generateTransactions, oracleLines } from '../testkit/dataset';
import { targetLines } from '../testkit/oracle';
import { transactionsSpecInput } from '../testkit/specs';

const DEMO_DIR = path.join(DEV_STATE_DIR, 'demo');
const RAW_DIR = path.join(DEMO_DIR, 'raw');
const TARGET = path.join(DEMO_DIR, 'warehouse.duckdb');
const DATASET = { from: '2021-01', to: '2022-12', rowsPerPartition: 42_000, filesPerPartition: 6, seed: 7 };

async function reachable(address: string): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: '1s' });
    await connection.close();
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<number> {
  const config = loadConfig({
    ...process.env,
    BACKFILL_TASK_QUEUE: process.env.BACKFILL_TASK_QUEUE ?? 'backfill-demo',
  });
  mkdirSync(DEMO_DIR, { recursive: true });
  const logFile = path.join(DEMO_DIR, 'worker.log');
  const logger = createLogger({
    level: 'info',
    destination: pino.destination({ dest: logFile, sync: false }),
  });
  installRuntime(logger, 'WARN');

  const say = (line: string) => process.stdout.write(`${line}\n`);
  say(
    `generating ${DATASET.from}..${DATASET.to} (${DATASET.rowsPerPartition} transactions a month + duplicates and late updates)...`,
  );
  rmSync(RAW_DIR, { recursive: true, force: true });
  const data = generateTransactions({ dir: RAW_DIR, ...DATASET });
  say(
    `  ${data.partitions.length} partitions, ${data.files} files, ${data.rows.toLocaleString('en-US')} rows, ${data.oracle.size.toLocaleString('en-US')} distinct keys`,
  );

  let server: DevServer | undefined;
  let connection: Connection;
  let nativeConnection;
  if (await reachable(config.TEMPORAL_ADDRESS)) {
    say(`using the Temporal server already running at ${config.TEMPORAL_ADDRESS}`);
    connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
    const { NativeConnection } = await import('@temporalio/worker');
    nativeConnection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  } else {
    say(
      'starting the Temporal dev server (the first run builds the Temporal CLI, which takes a few minutes)...',
    );
    server = await startDevServer({
      dbFile: path.join(DEV_STATE_DIR, 'temporal.db'),
      port: 7233,
      uiPort: 8233,
    });
    connection = server.connection;
    nativeConnection = server.nativeConnection;
  }
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });

  rmSync(TARGET, { force: true });
  rmSync(`${TARGET}.wal`, { force: true });
  const backfillWorker = await createBackfillWorker({
    connection: nativeConnection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.BACKFILL_TASK_QUEUE,
    logger,
    duckdb: {
      memoryLimit: config.BACKFILL_DUCKDB_MEMORY_LIMIT,
      threads: duckdbThreads({ ...config, BACKFILL_MAX_CONCURRENT_ACTIVITIES: 2 }),
    },
    maxConcurrentActivities: 2,
  });
  void backfillWorker.run();

  const specFile = path.join(DEMO_DIR, 'demo-spec.json');
  const backfillId = `demo-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-')}`;
  const specValue = {
    ...transactionsSpecInput({
      name: backfillId,
      source: RAW_DIR,
      target: TARGET,
      from: DATASET.from,
      to: DATASET.to,
    }),
    maxConcurrency: 2,
  };
  writeFileSync(specFile, JSON.stringify(specValue, null, 2));
  const spec = parseSpec(JSON.parse(readFileSync(specFile, 'utf8')));

  const started = Date.now();
  const handle = await startBackfill(client, spec, { taskQueue: config.BACKFILL_TASK_QUEUE });
  say(`backfill ${handle.workflowId} started — watch it at ${uiUrl(config, handle.workflowId)}`);
  const ctx: CliContext = { config, out: say, err: (l) => process.stderr.write(`${l}\n`), exitCode: 0 };
  const code = await watchBackfill(ctx, client, handle.workflowId);
  const summary = await handle.result();
  const seconds = (Date.now() - started) / 1000;

  await backfillWorker.stop();
  if (server) await server.stop();
  else await nativeConnection.close();

  const lines = await targetLines(TARGET);
  const expected = oracleLines(data.oracle);
  const matches = lines.length === expected.length && lines.every((l, i) => l === expected[i]);

  const fmt = (n: number) => n.toLocaleString('en-US');
  say('');
  say('=== demo summary ===');
  say(
    `partitions     ${summary.counts.succeeded} succeeded, ${summary.counts.failed} failed of ${summary.total}`,
  );
  say(
    `rows           ${fmt(summary.totals.rowsRead)} read, ${fmt(summary.totals.duplicatesRemoved)} duplicates removed, ${fmt(summary.totals.rowsRejected)} rejected, ${fmt(lines.length)} in the target`,
  );
  say(
    `duration       ${seconds.toFixed(1)} s (${fmt(Math.round(summary.totals.rowsRead / seconds))} rows/s)`,
  );
  say(
    `oracle check   ${matches ? 'target equals the oracle (one row per key, latest version)' : `MISMATCH: ${lines.length} rows vs ${expected.length} expected`}`,
  );
  say(`Temporal UI    ${uiUrl(config, handle.workflowId)}  (run "npx backfill dev" to browse it later)`);
  say(
    `inspect        npx backfill query ${path.relative(process.cwd(), specFile)} "SELECT year, month, count(*) FROM transactions GROUP BY ALL ORDER BY ALL"`,
  );
  say(`worker log     ${path.relative(process.cwd(), logFile)}`);
  if (!existsSync(TARGET)) return 1;
  return code === 0 && matches ? 0 : 1;
}

// `npm run demo -- --lake`: the same data loaded by three workers into a DuckLake (scripts/demo-lake.ts).
const run = process.argv.includes('--lake') ? () => import('./demo-lake').then((m) => m.demoLake()) : main;
run().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
