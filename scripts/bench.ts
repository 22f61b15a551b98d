/**
 * `npm run bench [-- --partitions 24 --rows 40000 --files 6 --concurrency 2 --noop 10000 [--noop-100k] [--messy]
 *   [--checks [--checks-runs 3]] [--per-child 6 --commit batch]]`
 * (`--noop 0` leaves out the no-op runs; `--per-child` and `--commit` set the (b) backfill's
 * partitionsPerChild and commit, one partition per child and commit partition by default)
 * One run, one machine, ratios against a baseline measured in the same run:
 *  (a) baseline: one hand-written DuckDB statement loading every file with the same types, bad-record
 *      filter and dedupe; (b) the full backfill through the dev server and one worker process;
 *      (b') with --messy, the same data with bad records in a third of the files and a gzip file;
 *  (c) an idempotent re-run; (d) no-op partitions, one child each and batched (50 per child),
 *      batched with one empty file each (a load activity per partition), and with --noop-100k also
 *      100,000 batched ones (the largest history per parent run reported);
 *  (e) MERGE vs a plain insert of the same partition, and first vs last 10 % of partition times.
 * Prints a table and writes BENCHMARKS.md with the command and the machine.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { DuckDBInstance } from '@duckdb/node-api';
import { startBackfill } from '../client/backfills';
import { startDevServer } from '../client/dev-server';
import { planPartitionKeys } from '../common/partitions';
import { parseSpec } from '../common/spec';
import { generateTransactions, TRANSACTIONS_SCHEMA } from '../testkit/dataset';
import { checksBackfill } from './bench-checks-backfill';
import { messyBackfill } from './bench-messy';
import { historyLengths } from '../testkit/inspect';
import { spawnWorker } from '../testkit/processes';
import { transactionsSpecInput } from '../testkit/specs';
import { pollersReady } from '../testkit/pollers';
import { benchFlags, childPids, cpuSeconds, machineLine, runBench } from './bench-common';

const flags = benchFlags(
  { partitions: 24, rows: 40_000, files: 6, noop: 10_000, concurrency: 2, 'per-child': 1, 'checks-runs': 3 },
  ['noop-100k', 'messy', 'checks'],
  { commit: ['partition', 'batch'] },
);
const [PARTITIONS, ROWS, FILES, NOOP] = [flags.partitions, flags.rows, flags.files, flags.noop];
const root = path.resolve(__dirname, '..', '..');
const work = path.join(os.tmpdir(), `backfill-bench-${process.pid}`);
const months = (n: number) => {
  const to = new Date(Date.UTC(2015, n - 1, 1));
  return { from: '2015-01', to: `${to.getUTCFullYear()}-${String(to.getUTCMonth() + 1).padStart(2, '0')}` };
};

interface Row {
  name: string;
  seconds: number;
  rows?: number;
  note?: string;
}
const results: Row[] = [];
const time = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const start = process.hrtime.bigint();
  const value = await fn();
  return [value, Number(process.hrtime.bigint() - start) / 1e9];
};

async function duck(file: string, sql: string) {
  const db = await DuckDBInstance.create(file, { memory_limit: '2GB', threads: '2' });
  const conn = await db.connect();
  const [, seconds] = await time(() => conn.run(sql));
  conn.closeSync();
  db.closeSync();
  return seconds;
}

function peakRss(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

async function main() {
  rmSync(work, { recursive: true, force: true });
  const range = months(PARTITIONS);
  process.stderr.write(`generating ${PARTITIONS} partitions x ${ROWS} rows in ${FILES} files...\n`);
  const data = generateTransactions({
    dir: path.join(work, 'raw'),
    ...range,
    rowsPerPartition: ROWS,
    filesPerPartition: FILES,
    seed: 3,
  });

  // (a) baseline: one statement, same types, bad-record filter and dedupe.
  const cols = Object.entries(TRANSACTIONS_SCHEMA);
  const baselineSql =
    `CREATE TABLE t AS SELECT ${cols.map(([c, t]) => `TRY_CAST(j.${c} AS ${t}) AS ${c}`).join(', ')} FROM (` +
    `SELECT from_json(raw, '${JSON.stringify(Object.fromEntries(cols.map(([c]) => [c, 'VARCHAR'])))}') AS j, filename FROM read_csv('${work}/raw/*/*/*.ndjson', ` +
    `columns = {'raw': 'VARCHAR'}, header = false, delim = E'\\x1f', quote = '', escape = '', auto_detect = false, filename = true, hive_partitioning = false) ` +
    `WHERE json_valid(raw)) WHERE j.transaction_id IS NOT NULL ` +
    `QUALIFY row_number() OVER (PARTITION BY j.transaction_id ORDER BY TRY_CAST(j.updated_at AS TIMESTAMP) DESC, filename DESC) = 1`;
  const baseline = await duck(path.join(work, 'baseline.duckdb'), baselineSql);
  results.push({ name: '(a) baseline: one DuckDB statement', seconds: baseline, rows: data.rows });

  const server = await startDevServer({ dbFile: path.join(work, 'temporal.db') });
  const client = new Client({ connection: server.connection, namespace: server.namespace });
  // Taken before the worker is spawned: the dev server is then this process's only child.
  const serverPid = childPids()[0] ?? 0;
  const worker = spawnWorker(server, 'bench', {
    BACKFILL_MAX_CONCURRENT_ACTIVITIES: '50',
    BACKFILL_DUCKDB_MEMORY_LIMIT: '2GB',
    // BACKFILL_DUCKDB_THREADS: the worker's own default (cores / concurrent activities, at least 1).
  });
  try {
    const spec = parseSpec({
      ...transactionsSpecInput({
        name: 'bench',
        source: path.join(work, 'raw'),
        target: path.join(work, 'target.duckdb'),
        ...range,
      }),
      maxConcurrency: flags.concurrency,
      maintenance: { enabled: false },
      // The defaults unless --per-child or --commit say otherwise (commit batch needs 2 or more).
      partitionsPerChild: flags['per-child'],
      commit: flags.commit,
    });
    const shape =
      flags['per-child'] > 1 || flags.commit !== 'partition'
        ? `, ${flags['per-child']} per child, commit ${flags.commit}`
        : '';
    // The worker's start-up (bundling the workflow code) is not part of any measurement.
    await pollersReady(client, 'bench');
    // (b) full backfill; where the CPU goes tells orchestration from loading
    const cpu0 = [cpuSeconds(serverPid), cpuSeconds(worker.process.pid!)];
    const [summary, full] = await time(async () =>
      (await startBackfill(client, spec, { taskQueue: 'bench' })).result(),
    );
    const cpuMs = [cpuSeconds(serverPid) - cpu0[0]!, cpuSeconds(worker.process.pid!) - cpu0[1]!].map((s) =>
      ((s * 1000) / summary.total).toFixed(0),
    );
    results.push({
      name: `(b) backfill, dev server + 1 worker${shape}`,
      seconds: full,
      rows: summary.totals.rowsRead,
      note: `${summary.counts.succeeded}/${summary.total} succeeded; CPU per partition: dev server ${cpuMs[0]} ms, worker ${cpuMs[1]} ms`,
    });
    if (flags.messy) results.push(await messyBackfill(client, work, range, flags.concurrency, full));
    if (flags.checks)
      results.push(await checksBackfill(client, work, range, flags.concurrency, flags['checks-runs']));
    const durations = summary.partitions!.map((p) => p.stats!.durationMs).filter((d) => d > 0);
    // Medians of at least 3: with 24 partitions one checkpoint-heavy commit would swing a mean.
    const tenth = Math.max(3, Math.ceil(durations.length / 10));
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const firstTenth = median(durations.slice(0, tenth));
    const lastTenth = median(durations.slice(-tenth));
    // (c) idempotent re-run: every partition has a closed run, so each is skipped
    const [rerun, again] = await time(async () =>
      (await startBackfill(client, spec, { taskQueue: 'bench' })).result(),
    );
    results.push({
      name: '(c) re-run (all skipped)',
      seconds: again,
      note: `${rerun.counts.skipped} skipped`,
    });

    // (d) no-op partitions: orchestration overhead alone (each partition's directory is empty)
    // Empty directories take the batch's listing shortcut; one empty file each forces a load
    // activity per partition, the orchestration cost of a real (tiny) partition.
    const noopRuns: { count: number; perChild: number; emptyFile?: boolean }[] =
      NOOP > 0
        ? [
            { count: NOOP, perChild: 1 },
            { count: NOOP, perChild: 50 },
            { count: Math.min(NOOP, 2000), perChild: 50, emptyFile: true },
          ]
        : [];
    if (flags['noop-100k']) noopRuns.push({ count: 100_000, perChild: 50 });
    for (const { count, perChild, emptyFile } of noopRuns) {
      const to = new Date(Date.UTC(1800, 0, count)).toISOString().slice(0, 10);
      const sourceDir = path.join(work, emptyFile ? 'empty-files' : 'nothing');
      if (emptyFile)
        for (const key of planPartitionKeys('1800-01-01', to, 'day')) {
          mkdirSync(path.join(sourceDir, key), { recursive: true });
          writeFileSync(path.join(sourceDir, key, 'empty.ndjson'), '');
        }
      const noop = parseSpec({
        name: `noop-${count}-${perChild}${emptyFile ? '-files' : ''}`,
        source: { uri: sourceDir, layout: '{key}/' },
        schema: { id: 'VARCHAR' },
        target: { path: path.join(work, 'noop.duckdb'), table: 't', keyColumns: ['id'] },
        range: {
          from: '1800-01-01',
          to,
          granularity: 'day',
        },
        maxConcurrency: perChild === 1 ? 200 : 40,
        partitionsPerChild: perChild,
        maintenance: { enabled: false },
      });
      const [s, seconds] = await time(async () =>
        (await startBackfill(client, noop, { taskQueue: 'bench' })).result(),
      );
      let histories = await historyLengths(client, noop.name);
      // Visibility lists the last run a moment after it closes.
      for (let i = 0; i < 50 && histories.length < s.generation + 1; i++) {
        await new Promise((r) => setTimeout(r, 200));
        histories = await historyLengths(client, noop.name);
      }
      results.push({
        name: `(d) ${s.total.toLocaleString('en-US')} no-op partitions${emptyFile ? ' (one empty file each)' : ''}, ${perChild} per child`,
        seconds,
        note:
          `${((seconds * 1000) / s.total).toFixed(1)} ms/partition; ${s.counts.empty} empty, ${s.counts.succeeded} loaded; ` +
          `${histories.length} parent runs, largest ${Math.max(...histories)} events`,
      });
    }
    results.push({
      name: '(e) partition time, first vs last 10 % (medians)',
      seconds: 0,
      note: `${firstTenth.toFixed(0)} ms vs ${lastTenth.toFixed(0)} ms (${(lastTenth / firstTenth).toFixed(2)}x); all: median ${median(durations).toFixed(0)} ms`,
    });
  } finally {
    const rss = peakRss(worker.process.pid!);
    results.push({ name: 'worker peak RSS', seconds: 0, note: `${(rss / 2 ** 20).toFixed(0)} MiB` });
    await worker.kill('SIGTERM');
    await server.stop();
  }

  // (e) MERGE vs plain insert of the same partition into the loaded target
  const one = `${work}/raw/year=2015/month=01/*.ndjson`;
  const staged = `CREATE TEMP TABLE b AS SELECT ${cols.map(([c, t]) => `TRY_CAST(j.${c} AS ${t}) AS ${c}`).join(', ')}, 2015 AS year, 1 AS month FROM (SELECT from_json(raw, '${JSON.stringify(Object.fromEntries(cols.map(([c]) => [c, 'VARCHAR'])))}') AS j FROM read_csv('${one}', columns = {'raw': 'VARCHAR'}, header = false, delim = E'\\x1f', quote = '', escape = '', auto_detect = false)) QUALIFY row_number() OVER (PARTITION BY j.transaction_id ORDER BY TRY_CAST(j.updated_at AS TIMESTAMP) DESC) = 1 ORDER BY transaction_id;`;
  const names = [...cols.map(([c]) => c), 'year', 'month'];
  const merge = await duck(
    path.join(work, 'target.duckdb'),
    `${staged} MERGE INTO transactions AS t USING b AS s ON t.transaction_id = s.transaction_id WHEN MATCHED AND s.updated_at >= t.updated_at THEN UPDATE SET ${names.map((c) => `${c} = s.${c}`).join(', ')} WHEN NOT MATCHED THEN INSERT (${names.join(', ')}) VALUES (${names.map((c) => `s.${c}`).join(', ')});`,
  );
  const insert = await duck(
    path.join(work, 'insert.duckdb'),
    `${staged} CREATE TABLE transactions AS SELECT * FROM b LIMIT 0; INSERT INTO transactions SELECT * FROM b;`,
  );
  results.push({
    name: '(e) one partition: MERGE vs plain insert',
    seconds: merge,
    note: `insert ${insert.toFixed(2)} s, ratio ${(merge / insert).toFixed(2)}x (both include staging)`,
  });

  const full = results.find((r) => r.name.startsWith('(b)'))!;
  const table = results.map((r) => {
    const rate = r.rows ? Math.round(r.rows / r.seconds) : undefined;
    const ratio =
      r.rows && r.name.startsWith('(b)')
        ? `${(baseline / r.seconds).toFixed(2)}x baseline rows/s`
        : r.name.startsWith('(c)')
          ? `${((r.seconds / full.seconds) * 100).toFixed(1)} % of (b)`
          : '';
    return `| ${r.name} | ${r.seconds ? r.seconds.toFixed(2) : ''} | ${rate?.toLocaleString('en-US') ?? ''} | ${ratio} | ${r.note ?? ''} |`;
  });
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
  const report = [
    '# Benchmarks',
    '',
    `Command: \`${command}\` (${PARTITIONS} partitions x ${ROWS} rows in ${FILES} files = ${data.rows.toLocaleString('en-US')} rows; ${NOOP.toLocaleString('en-US')} no-op partitions${flags['noop-100k'] ? ' and 100,000 batched' : ''})`,
    machineLine(),
    '',
    '| measurement | seconds | rows/s | ratio | note |',
    '|---|---|---|---|---|',
    ...table,
    '',
  ].join('\n');
  process.stdout.write(`${report}\n`);
  writeFileSync(path.join(root, 'BENCHMARKS.md'), `${report}\n${readExisting()}`);
  rmSync(work, { recursive: true, force: true });
}

/** Keeps the hand-written analysis below the generated figures. */
function readExisting(): string {
  try {
    const text = readFileSync(path.join(root, 'BENCHMARKS.md'), 'utf8');
    const i = text.indexOf('## Analysis');
    return i >= 0 ? text.slice(i) : '';
  } catch {
    return '';
  }
}

runBench(main);
