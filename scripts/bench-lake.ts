/**
 * `npm run bench:lake [-- --partitions 12 --rows 20000 --files 4 --runs 3 --seconds 10]`
 * The clean data set (no bad records) from local disk into (a) a DuckDB file with one worker
 * process and (b) a DuckLake (catalog in a local PostgreSQL, data on a local MinIO) with 1, 2 and 3
 * worker processes (and 3 without the commit lock: optimistic commits only), interleaved round by round so the machine's load drifts over all of them alike;
 * medians of the rounds. Per configuration: rows/s, commits, conflicts retried, share of load time
 * in the commit (vs reading and staging), and the shares of the workers' wall time lost to
 * conflicts (refused attempts and their waits) and spent waiting for the commit lock (measured by
 * the workers' own metrics).
 * Then (c) commits per second one PostgreSQL catalog sustains: three processes committing minimal
 * transactions for --seconds. Writes its section of BENCHMARKS.md.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startBackfill } from '../client/backfills';
import { parseSpec } from '../common/spec';
import { generateTransactions } from '../testkit/dataset';
import { startLakeCluster, startWorkerPool, type LakeCluster } from '../testkit/lake-cluster';
import { transactionsSpecInput } from '../testkit/specs';
import { benchFlags, machineLine, runBench, writeBenchSection } from './bench-common';

const flags = benchFlags({ partitions: 12, rows: 20_000, files: 4, runs: 3, seconds: 10 });
const root = path.resolve(__dirname, '..', '..');
const work = path.join(os.tmpdir(), `backfill-bench-lake-${process.pid}`);
const SECTION = '## DuckLake destination';
/** Partitions loading at once per worker process, in every configuration. */
const PER_WORKER = 2;

interface Run {
  seconds: number;
  rows: number;
  commits: number;
  conflicts: number;
  commitShare: number;
  /** Seconds lost to conflicts and waiting for the commit lock, summed over workers. */
  conflictSeconds: number;
  lockWaitSeconds: number;
}
const workersOf = (config: string) => (config === 'file' ? 1 : Number(config.split('-')[1]));
const label = (config: string, workers: number) =>
  config === 'file'
    ? 'DuckDB file, 1 worker'
    : `DuckLake, ${workers} worker${workers > 1 ? 's' : ''}${config.endsWith('-none') ? ', no commit lock' : ''}`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  rmSync(work, { recursive: true, force: true });
  const to = new Date(Date.UTC(2015, flags.partitions - 1, 1));
  const range = {
    from: '2015-01',
    to: `${to.getUTCFullYear()}-${String(to.getUTCMonth() + 1).padStart(2, '0')}`,
  };
  const raw = path.join(work, 'raw');
  const data = generateTransactions({
    dir: raw,
    ...range,
    rowsPerPartition: flags.rows,
    filesPerPartition: flags.files,
    seed: 5,
  });
  process.stderr.write(
    `${data.partitions.length} partitions, ${data.rows} rows; starting PostgreSQL, MinIO, Temporal...\n`,
  );
  const cluster = await startLakeCluster({ dbFile: path.join(work, 'temporal.db') });
  const configs = ['file', 'lake-1', 'lake-2', 'lake-3', 'lake-3-none'] as const;
  const runs = new Map<string, Run[]>(configs.map((c) => [c, []]));
  let lakes = 0;
  try {
    for (let round = 1; round <= flags.runs; round++) {
      for (const config of configs) {
        const workers = workersOf(config);
        const name = `bench${++lakes}`;
        const target =
          config === 'file'
            ? { path: path.join(work, `${name}.duckdb`) }
            : {
                type: 'ducklake' as const,
                ...cluster.newLake(name),
                endpoint: cluster.minio.endpoint,
                commitLock: config.endsWith('-none') ? ('none' as const) : ('catalog' as const),
              };
        const result = await timedRun(cluster, name, raw, range, target, workers);
        runs.get(config)!.push(result);
        process.stderr.write(
          `round ${round} ${config}: ${result.seconds.toFixed(2)} s, ${Math.round(result.rows / result.seconds)} rows/s, conflicts ${result.conflicts}\n`,
        );
      }
    }
    const catalog = await catalogCommits(cluster, false);
    const locked = await catalogCommits(cluster, true);
    report(data.rows, runs, catalog, locked);
  } finally {
    await cluster.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

async function timedRun(
  cluster: LakeCluster,
  name: string,
  raw: string,
  range: { from: string; to: string },
  target: Record<string, unknown>,
  workers: number,
): Promise<Run> {
  const pool = await startWorkerPool(cluster, workers, {
    BACKFILL_MAX_CONCURRENT_ACTIVITIES: String(PER_WORKER),
    BACKFILL_DUCKDB_MEMORY_LIMIT: '1GB',
    BACKFILL_DUCKDB_THREADS: '2',
  });
  try {
    const input = transactionsSpecInput({ name, source: raw, target: '', ...range });
    const { path: _unused, ...writeOptions } = input.target as { path?: string } & Record<string, unknown>;
    const spec = parseSpec({
      ...input,
      target: { ...writeOptions, ...target },
      maxConcurrency: PER_WORKER * workers,
      maintenance: { enabled: false },
    });
    const started = process.hrtime.bigint();
    const summary = await (await startBackfill(cluster.client, spec, { taskQueue: pool.taskQueue })).result();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (summary.counts.succeeded !== summary.total)
      throw new Error(`${name}: ${JSON.stringify(summary.counts)}`);
    const metrics = await pool.metrics();
    const conflicts = (summary.partitions ?? []).reduce((n, p) => n + (p.stats?.conflictsRetried ?? 0), 0);
    return {
      seconds,
      rows: summary.totals.rowsRead,
      commits: summary.counts.succeeded,
      conflicts,
      commitShare: metrics.commitSeconds / metrics.loadSeconds,
      conflictSeconds: metrics.conflictSeconds,
      lockWaitSeconds: metrics.lockWaitSeconds,
    };
  } finally {
    await pool.stop();
  }
}

/** Three processes commit minimal transactions to one catalog for --seconds. */
async function catalogCommits(cluster: LakeCluster, lock: boolean) {
  const lake = cluster.newLake(lock ? 'catalogbenchlock' : 'catalogbench');
  const committer = (seconds: number) =>
    new Promise<{ commits: number; conflicts: number }>((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(__dirname, 'bench-lake-committer.js')], {
        env: {
          ...process.env,
          ...cluster.lakeEnv(),
          LAKE_CATALOG: lake.catalog,
          LAKE_DATA_PATH: lake.dataPath,
          LAKE_S3_ENDPOINT: cluster.minio.endpoint,
          SECONDS: String(seconds),
          LOCK: lock ? '1' : '0',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.once('exit', (code) =>
        code === 0
          ? resolve(JSON.parse(out) as { commits: number; conflicts: number })
          : reject(new Error(`committer exited ${code}`)),
      );
    });
  await committer(0); // creates the table and the guard before the three race
  const results = await Promise.all([0, 1, 2].map(() => committer(flags.seconds)));
  const commits = results.reduce((n, r) => n + r.commits, 0);
  const conflicts = results.reduce((n, r) => n + r.conflicts, 0);
  return { commits, conflicts, perSecond: commits / flags.seconds };
}

function report(
  rows: number,
  runs: Map<string, Run[]>,
  catalog: { commits: number; conflicts: number; perSecond: number },
  locked: { commits: number; conflicts: number; perSecond: number },
) {
  const summary = [...runs].map(([config, rs]) => ({
    config,
    workers: workersOf(config),
    seconds: median(rs.map((r) => r.seconds)),
    rate: median(rs.map((r) => r.rows / r.seconds)),
    commits: median(rs.map((r) => r.commits)),
    conflicts: median(rs.map((r) => r.conflicts)),
    commitShare: median(rs.map((r) => r.commitShare)),
    // Each worker commits one partition at a time: its wall time is the denominator.
    conflictShare: median(rs.map((r) => r.conflictSeconds / (r.seconds * workersOf(config)))),
    lockWaitShare: median(rs.map((r) => r.lockWaitSeconds / (r.seconds * workersOf(config)))),
    runs: rs,
  }));
  const file = summary.find((s) => s.config === 'file')!;
  const single = summary.find((s) => s.config === 'lake-1')!;
  // One worker's commit rate here, and how many such workers keep the catalog half busy.
  const perWorker = single.commits / single.seconds;
  const rowsPerPartition = rows / single.commits;
  const workersPerCatalog = catalog.perSecond / 2 / perWorker;
  const command = `npm run bench:lake -- ${process.argv.slice(2).join(' ')}`.trim();
  const lines = [
    SECTION,
    '',
    `Command: \`${command}\` (${flags.partitions} partitions x ${flags.rows} rows in ${flags.files} files = ${rows.toLocaleString('en-US')} rows, clean; ${flags.runs} rounds, each configuration once per round, interleaved; medians)`,
    machineLine(),
    'Source: local disk. DuckDB file: one worker process. DuckLake: catalog in a local PostgreSQL 15, data on a local MinIO. Every worker: 2 partitions at once, 2 DuckDB threads, 1 GB.',
    '',
    '| configuration | seconds | rows/s | vs DuckDB file | commits | conflicts retried | commit share of load time | conflict share of wall time | lock wait share of wall time | runs (s) |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...summary.map(
      (s) =>
        `| ${label(s.config, s.workers)} | ${s.seconds.toFixed(2)} | ${Math.round(s.rate).toLocaleString('en-US')} | ${(s.rate / file.rate).toFixed(2)}x | ${s.commits} | ${s.conflicts} | ${(s.commitShare * 100).toFixed(0)} % | ${s.config === 'file' ? '' : `${(s.conflictShare * 100).toFixed(1)} %`} | ${s.config === 'file' ? '' : `${(s.lockWaitShare * 100).toFixed(1)} %`} | ${s.runs.map((r) => r.seconds.toFixed(1)).join(', ')} |`,
    ),
    '',
    `Catalog: three processes committing minimal transactions (one inlined row + the commit guard) for ${flags.seconds} s each way. Optimistic (conflicts re-run): ${catalog.commits} commits, ${catalog.conflicts} conflicts retried, **${catalog.perSecond.toFixed(1)} commits/s**. Under the commit lock: ${locked.commits} commits, ${locked.conflicts} conflicts, **${locked.perSecond.toFixed(1)} commits/s**.`,
    '',
    `Workers per catalog: commits to one table take turns (the commit lock, or else the guard row every commit bumps), so the catalog's commit rate to a table bounds all workers together (the optimistic rate is used below, the lower bound). One worker here commits ${perWorker.toFixed(2)} partitions/s of ${Math.round(rowsPerPartition).toLocaleString('en-US')} rows; keeping the catalog at half the rate above, one catalog serves about **${workersPerCatalog.toFixed(0)} workers** for partitions of that size, and k times more for partitions k times larger (a worker's commit rate falls with partition size): workers ≈ (commits/s ÷ 2) ÷ (partitions/s of one worker).`,
    '',
  ];
  const text = lines.join('\n');
  process.stdout.write(`${text}\n`);
  writeBenchSection(path.join(root, 'BENCHMARKS.md'), SECTION, text);
}

runBench(main);
