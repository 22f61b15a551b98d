/**
 * `npm run demo -- --lake` (or `npm run demo:lake`): the demo's ~1M transactions (24 monthly
 * partitions with duplicate deliveries and late updates) uploaded to a local MinIO, loaded by THREE
 * worker processes at once into one DuckLake table — Parquet files on MinIO, the catalog in a
 * local PostgreSQL. While the load runs, `backfill query` reads the table from another process.
 * Prints the partitions each worker committed, the conflicts retried, and the oracle check.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startBackfill } from '../client/backfills';
import { DEV_STATE_DIR } from '../client/commands/dev';
import { parseSpec } from '../common/spec';
import { runCliProcess } from '../testkit/cli';
import { generateTransactions, oracleLines, TARGET_LINES_SQL } from '../testkit/dataset';
import { openLakeReader } from '../testkit/ducklake-reader';
import { startLakeCluster, startWorkerPool } from '../testkit/lake-cluster';
import { transactionsSpecInput } from '../testkit/specs';

const DEMO_DIR = path.join(DEV_STATE_DIR, 'demo-lake');
const RAW_DIR = path.join(DEMO_DIR, 'raw');
/** The plain demo's data set. */
const DATASET = { from: '2021-01', to: '2022-12', rowsPerPartition: 42_000, filesPerPartition: 6, seed: 7 };
const WORKERS = 3;

export async function demoLake(): Promise<number> {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const fmt = (n: number) => n.toLocaleString('en-US');
  rmSync(DEMO_DIR, { recursive: true, force: true });
  mkdirSync(DEMO_DIR, { recursive: true });
  say(
    `generating ${DATASET.from}..${DATASET.to} (${DATASET.rowsPerPartition} transactions a month + duplicates and late updates)...`,
  );
  const data = generateTransactions({ dir: RAW_DIR, ...DATASET });
  say(
    `  ${data.partitions.length} partitions, ${data.files} files, ${fmt(data.rows)} rows, ${fmt(data.oracle.size)} distinct keys`,
  );

  say(
    'starting PostgreSQL (the lake catalog), MinIO (raw files and the lake data) and the Temporal dev server...',
  );
  const cluster = await startLakeCluster({ dbFile: path.join(DEMO_DIR, 'temporal.db') });
  try {
    await cluster.minio.createBucket('raw');
    const uploaded = await cluster.minio.uploadDir('raw', 'transactions/', RAW_DIR);
    say(`  uploaded ${uploaded} files to s3://raw/transactions/ on MinIO (${cluster.minio.endpoint})`);
    const lake = cluster.newLake('demolake');
    const input = transactionsSpecInput({
      name: `demo-lake-${Date.now()}`,
      source: { uri: 's3://raw/transactions', endpoint: cluster.minio.endpoint, forcePathStyle: true },
      target: '',
      from: DATASET.from,
      to: DATASET.to,
    });
    const { path: _unused, ...writeOptions } = input.target as { path?: string } & Record<string, unknown>;
    const specValue = {
      ...input,
      target: { ...writeOptions, type: 'ducklake', ...lake, endpoint: cluster.minio.endpoint },
      maxConcurrency: 2 * WORKERS,
    };
    const specFile = path.join(DEMO_DIR, 'demo-lake-spec.json');
    writeFileSync(specFile, JSON.stringify(specValue, null, 2));
    const spec = parseSpec(specValue);
    say(`  lake: catalog ${lake.catalog}, data ${lake.dataPath} (no secret in the spec: ${specFile})`);

    say(`starting ${WORKERS} worker processes (PGPASSWORD and the AWS keys in their environment)...`);
    const pool = await startWorkerPool(cluster, WORKERS, {
      BACKFILL_MAX_CONCURRENT_ACTIVITIES: '2',
      BACKFILL_DUCKDB_MEMORY_LIMIT: '1GB',
      BACKFILL_DUCKDB_THREADS: '1',
    });
    try {
      const started = Date.now();
      const handle = await startBackfill(cluster.client, spec, { taskQueue: pool.taskQueue });
      say(`backfill ${handle.workflowId} started on task queue ${pool.taskQueue}`);
      let done = false;
      const result = handle.result().finally(() => (done = true));
      // Another process reads the table while the workers commit: `backfill query` on the same spec.
      const reads: string[] = [];
      while (!done) {
        await new Promise((r) => setTimeout(r, 3000));
        if (done) break;
        const q = await runCliProcess(
          [
            'query',
            specFile,
            'SELECT count(*) AS n, count(DISTINCT (year, month)) AS partitions FROM transactions',
            '--csv',
          ],
          cluster.lakeEnv(),
        );
        const at = ((Date.now() - started) / 1000).toFixed(1);
        const line =
          q.code === 0
            ? (([n, p]) => `${fmt(Number(n))} rows in ${p} partitions`)(q.stdout.split('\n')[1]!.split(','))
            : `(${q.stderr.split('\n')[0]})`;
        reads.push(`  t=${at}s  ${line}`);
        say(`  backfill query from another process at t=${at}s: ${line}`);
      }
      const summary = await result;
      const seconds = (Date.now() - started) / 1000;
      const committed = pool.committed();
      const conflicts = (summary.partitions ?? []).reduce((n, p) => n + (p.stats?.conflictsRetried ?? 0), 0);

      const reader = await openLakeReader({
        ...lake,
        s3: {
          endpoint: cluster.minio.endpoint,
          accessKey: cluster.minio.accessKey,
          secretKey: cluster.minio.secretKey,
        },
        pgPassword: cluster.pg.password,
      });
      let lines: string[];
      try {
        lines = (await reader.query<{ line: string }>(TARGET_LINES_SQL('transactions'))).map((r) => r.line);
      } finally {
        reader.close();
      }
      const expected = oracleLines(data.oracle);
      const matches = lines.length === expected.length && lines.every((l, i) => l === expected[i]);

      say('');
      say('=== lake demo summary ===');
      say(
        `partitions     ${summary.counts.succeeded} succeeded, ${summary.counts.failed} failed of ${summary.total}`,
      );
      say(
        `per worker     ${committed.map((n, i) => `worker ${i + 1}: ${n}`).join(', ')} partitions committed`,
      );
      say(`conflicts      ${conflicts} commits refused by a concurrent writer and re-run`);
      say(
        `rows           ${fmt(summary.totals.rowsRead)} read, ${fmt(summary.totals.duplicatesRemoved)} duplicates removed, ${fmt(lines.length)} in the lake`,
      );
      say(
        `duration       ${seconds.toFixed(1)} s (${fmt(Math.round(summary.totals.rowsRead / seconds))} rows/s)`,
      );
      say(`reads meanwhile ${reads.length} queries from another process while the load ran (counts above)`);
      say(
        `oracle check   ${matches ? 'the lake equals the oracle (one row per key, latest version)' : `MISMATCH: ${lines.length} rows vs ${expected.length} expected`}`,
      );
      return summary.counts.succeeded === summary.total && matches && committed.every((n) => n > 0) ? 0 : 1;
    } finally {
      await pool.stop();
    }
  } finally {
    await cluster.stop();
  }
}

if (require.main === module)
  demoLake().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`lake demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
