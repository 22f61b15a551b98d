/**
 * `npm run bench:shards [-- --rows 2850000 --files 96 --max-files 8 --runs 3 --staging dir]`
 * One big partition (about 2.9M rows in 96 NDJSON files on local disk) into a DuckDB file through
 * the dev server and worker processes, in one run: (i) unsharded, one worker; (ii) sharded
 * (source.shards, staging in a local directory or, with `--staging s3`, on a local MinIO), one
 * worker; (iii) sharded, two workers. Interleaved round by round, medians of the rounds. From each
 * partition's workflow history: the activities' run times — planShards, stageShard, commitShards,
 * cleanupShards — so the serial fraction (commitShards / the whole load) and the commit step
 * against the unsharded load are measured, and Amdahl's bound on the speed-up at N workers follows
 * from it. Every worker: 2 activities at once, 2 DuckDB threads, 3 GB. Writes its section of
 * BENCHMARKS.md.
 */
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { startBackfill } from '../client/backfills';
import { startDevServer } from '../client/dev-server';
import { parseSpec } from '../common/spec';
import { generateTransactions } from '../testkit/dataset';
import { startWorkerPool } from '../testkit/lake-cluster';
import { startMinio, type Minio } from '../testkit/minio-server';
import { shardedSpecInput, SHARDED_MONTH } from '../testkit/sharded-partition';
import { transactionsSpecInput } from '../testkit/specs';
import { benchFlags, machineLine, runBench, writeBenchSection } from './bench-common';
import { activitySpan, childSteps, median, parentSteps, type Steps } from './history-steps';

const flags = benchFlags({ rows: 2_850_000, files: 96, 'max-files': 8, runs: 3 }, [], {
  staging: ['dir', 's3'],
});
const root = path.resolve(__dirname, '..', '..');
const work = path.join(os.tmpdir(), `backfill-bench-shards-${process.pid}`);
const SECTION = '## One partition, many workers: sharded staging (issue #19)';
const MONTH = SHARDED_MONTH;
const PER_WORKER = 2;

const CONFIGS = [
  { name: 'unsharded', label: '(i) unsharded, 1 worker', workers: 1, sharded: false },
  { name: 'sharded-1', label: '(ii) sharded, 1 worker', workers: 1, sharded: true },
  { name: 'sharded-2', label: '(iii) sharded, 2 workers', workers: 2, sharded: true },
] as const;

interface Run {
  seconds: number;
  rows: number;
  shards: number;
  /** Activity run times (started → completed) in seconds, by activity; stageShard summed. */
  plan: number;
  stageSum: number;
  stageMedian: number;
  commit: number;
  cleanup: number;
  /** From the first shard's start to the last shard's end: the stretch more workers shorten. */
  stageSpan: number;
  load: number;
  /** The destination's commit alone (the workers' backfill_merge_duration_seconds): writing the target. */
  targetWrite: number;
  workersUsed: number;
}

const sum = (xs: number[] | undefined) => (xs ?? []).reduce((a, b) => a + b, 0) / 1000;
const first = (xs: number[] | undefined) => (xs?.[0] ?? 0) / 1000;

async function main() {
  rmSync(work, { recursive: true, force: true });
  const raw = path.join(work, 'raw');
  process.stderr.write(`generating one partition of about ${flags.rows} rows in ${flags.files} files...\n`);
  const data = generateTransactions({
    dir: raw,
    from: MONTH,
    to: MONTH,
    rowsPerPartition: flags.rows,
    filesPerPartition: flags.files,
    seed: 19,
  });
  const rows = data.rows;
  data.oracle.clear(); // 2.9M oracle rows are not needed here
  const server = await startDevServer({ dbFile: path.join(work, 'temporal.db') });
  const client = new Client({ connection: server.connection, namespace: server.namespace });
  let minio: Minio | undefined;
  if (flags.staging === 's3') {
    minio = await startMinio();
    await minio.createBucket('staging');
  }
  const host = {
    server,
    client,
    lakeEnv: (): Record<string, string> =>
      minio ? { AWS_ACCESS_KEY_ID: minio.accessKey, AWS_SECRET_ACCESS_KEY: minio.secretKey } : {},
  };
  const runs = new Map<string, Run[]>(CONFIGS.map((c) => [c.name, []]));
  let n = 0;
  try {
    for (let round = 1; round <= flags.runs; round++) {
      for (const config of CONFIGS) {
        const name = `shards${++n}-${config.name}`;
        const pool = await startWorkerPool(host, config.workers, {
          BACKFILL_MAX_CONCURRENT_ACTIVITIES: String(PER_WORKER),
          BACKFILL_DUCKDB_THREADS: '2',
          BACKFILL_DUCKDB_MEMORY_LIMIT: '3GB',
          LOG_LEVEL: 'warn',
        });
        try {
          const where = { name, source: raw, target: path.join(work, `${name}.duckdb`) };
          const input = config.sharded
            ? shardedSpecInput({
                ...where,
                staging: minio
                  ? { uri: `s3://staging/${name}/`, endpoint: minio.endpoint, forcePathStyle: true }
                  : { uri: path.join(work, 'staging') },
                shards: { maxFiles: flags['max-files'], concurrency: 64 },
              })
            : transactionsSpecInput({ ...where, from: MONTH, to: MONTH });
          const spec = parseSpec({ ...input, maintenance: { enabled: false } });
          const started = process.hrtime.bigint();
          const summary = await (await startBackfill(client, spec, { taskQueue: pool.taskQueue })).result();
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          if (summary.counts.succeeded !== 1) throw new Error(`${name}: ${JSON.stringify(summary.counts)}`);
          const steps: Steps = {};
          const children = parentSteps(await client.workflow.getHandle(name).fetchHistory(), steps);
          let stageSpan = 0;
          for (const id of children) {
            const history = await client.workflow.getHandle(id).fetchHistory();
            childSteps(history, steps);
            const span = activitySpan(history, 'stageShard');
            if (span) stageSpan = (span.last - span.first) / 1000;
          }
          const shardStats = summary.partitions?.[0]?.stats?.shards;
          const metrics = await pool.metrics();
          const run: Run = {
            seconds,
            rows: summary.totals.rowsRead,
            shards: shardStats?.total ?? 0,
            plan: first(steps['activity run (planShards)']),
            stageSum: sum(steps['activity run (stageShard)']),
            stageMedian: median(steps['activity run (stageShard)'] ?? [0]) / 1000,
            commit: first(steps['activity run (commitShards)']),
            cleanup: first(steps['activity run (cleanupShards)']),
            stageSpan,
            load: first(steps['activity run (loadPartition)']),
            targetWrite: metrics.commitSeconds,
            workersUsed: Object.keys(shardStats?.workers ?? {}).length,
          };
          if (config.sharded && run.shards < 2)
            throw new Error(`${name} did not shard: ${JSON.stringify(summary)}`);
          runs.get(config.name)!.push(run);
          process.stderr.write(
            `round ${round} ${config.label}: ${seconds.toFixed(1)} s` +
              `, target write ${run.targetWrite.toFixed(1)} s` +
              (config.sharded
                ? `, ${run.shards} shards on ${run.workersUsed} worker(s): plan ${run.plan.toFixed(1)} s, stage ${run.stageSum.toFixed(1)} s summed (median ${run.stageMedian.toFixed(1)} s), over ${run.stageSpan.toFixed(1)} s, commit ${run.commit.toFixed(1)} s, cleanup ${run.cleanup.toFixed(1)} s\n`
                : `, loadPartition ${run.load.toFixed(1)} s\n`),
          );
        } finally {
          await pool.stop();
          rmSync(path.join(work, `${name}.duckdb`), { force: true });
          rmSync(path.join(work, `${name}.duckdb.wal`), { force: true });
        }
      }
    }
  } finally {
    await server.stop();
    await minio?.stop();
    rmSync(work, { recursive: true, force: true });
  }
  report(rows, runs);
}

function report(rows: number, runs: Map<string, Run[]>) {
  const m = (config: string, pick: (r: Run) => number) => median(runs.get(config)!.map(pick));
  const base = m('unsharded', (r) => r.seconds);
  const one = m('sharded-1', (r) => r.seconds);
  const two = m('sharded-2', (r) => r.seconds);
  const commit = m('sharded-1', (r) => r.commit);
  // The serial part of a sharded load: what no second worker shortens (plan, commit, cleanup and
  // the orchestration between them); the commit alone is the brief's serial fraction.
  const serialFraction = m('sharded-1', (r) => r.commit / r.seconds);
  const serialAll = m(
    'sharded-1',
    (r) => (r.seconds - r.stageSum / Math.min(PER_WORKER, r.shards)) / r.seconds,
  );
  const amdahl = (s: number, n: number) => 1 / (s + (1 - s) / n);
  const vsBase = (s: number, n: number) => base / (one * (s + (1 - s) / n));
  const row = (config: (typeof CONFIGS)[number]) => {
    const rs = runs.get(config.name)!;
    const seconds = m(config.name, (r) => r.seconds);
    const steps = config.sharded
      ? `${m(config.name, (r) => r.shards)} shards on ${m(config.name, (r) => r.workersUsed)} worker(s); plan ${m(config.name, (r) => r.plan).toFixed(2)} s, stageShard ${m(config.name, (r) => r.stageSum).toFixed(1)} s summed (median ${m(config.name, (r) => r.stageMedian).toFixed(2)} s each) over ${m(config.name, (r) => r.stageSpan).toFixed(1)} s, commitShards ${m(config.name, (r) => r.commit).toFixed(2)} s (${(m(config.name, (r) => r.commit / r.seconds) * 100).toFixed(0)} % of the load; writing the target ${m(config.name, (r) => r.targetWrite).toFixed(2)} s of it), cleanup ${m(config.name, (r) => r.cleanup).toFixed(2)} s`
      : `loadPartition ${m(config.name, (r) => r.load).toFixed(2)} s (writing the target ${m(config.name, (r) => r.targetWrite).toFixed(2)} s of it)`;
    return `| ${config.label} | ${seconds.toFixed(2)} | ${Math.round(rows / seconds).toLocaleString('en-US')} | ${(seconds / base).toFixed(2)}x | ${steps} | ${rs.map((r) => r.seconds.toFixed(1)).join(', ')} |`;
  };
  const command = `npm run bench:shards -- ${process.argv.slice(2).join(' ')}`.trim();
  const lines = [
    SECTION,
    '',
    `Command: \`${command}\` (one partition: ${rows.toLocaleString('en-US')} rows in ${flags.files} NDJSON files on local disk, 2 % re-delivered; shards of ${flags['max-files']} files; staging ${flags.staging === 's3' ? 'on a local MinIO' : 'in a local directory'}; target a DuckDB file; ${flags.runs} rounds, configurations interleaved; medians)`,
    machineLine(),
    `Every worker process: ${PER_WORKER} activities at once, 2 DuckDB threads, 3 GB. Activity times are started → completed in the partition's workflow history.`,
    '',
    '| configuration | seconds | rows/s | vs (i) | where the time went | runs (s) |',
    '|---|---|---|---|---|---|',
    ...CONFIGS.map(row),
    '',
    `- Sharding at one worker costs **${(one / base).toFixed(2)}x** the unsharded load (target ≤ 1.3x); two workers: **${(two / base).toFixed(2)}x**.`,
    `- The commit step (commitShards: read every shard's staged Parquet, dedupe across shards, one transaction) takes **${commit.toFixed(2)} s = ${((commit / base) * 100).toFixed(0)} % of the unsharded load** (target ≤ 25 %).`,
    `- Of the commit step, writing the target (the destination's own commit, the same statement an unsharded load runs) takes ${m('sharded-1', (r) => r.targetWrite).toFixed(2)} s (unsharded: ${m('unsharded', (r) => r.targetWrite).toFixed(2)} s); reading the shards' Parquet back, staging and deduping across shards the other ${(commit - m('sharded-1', (r) => r.targetWrite)).toFixed(2)} s.`,
    `- Serial fraction s = commitShards / whole sharded load (one worker) = **${(serialFraction * 100).toFixed(1)} %**. Amdahl's bound on the speed-up over the sharded one-worker load: 1 / (s + (1 − s)/N) = **${amdahl(serialFraction, 8).toFixed(1)}x at N = 8, ${amdahl(serialFraction, 32).toFixed(1)}x at N = 32** (${(1 / serialFraction).toFixed(1)}x at most); over the unsharded load ${vsBase(serialFraction, 8).toFixed(1)}x and ${vsBase(serialFraction, 32).toFixed(1)}x. Counting all the time outside the shards' stretch as serial (plan, commit, cleanup, orchestration, worker dispatch: s = ${(serialAll * 100).toFixed(1)} %): ${amdahl(serialAll, 8).toFixed(1)}x and ${amdahl(serialAll, 32).toFixed(1)}x.`,
    '',
  ];
  const text = lines.join('\n');
  process.stdout.write(`${text}\n`);
  writeBenchSection(path.join(root, 'BENCHMARKS.md'), SECTION, text);
}

runBench(main);
