/**
 * `npm run bench:stages [-- --rows 40000 --files 6 --repeat 5 --format ndjson|csv|parquet]`
 * One partition (NDJSON files, or the same records rewritten by DuckDB as CSV with a header or as
 * Parquet typed as the spec declares them) loaded by the real activity (local files, a DuckDB file target), timed statement by
 * statement: where a partition's time goes. Each repeat loads it three times, in turn (the order
 * rotating), kept resumable (BACKFILL_RESUME_MIN_BYTES 0: staged as Parquet, read line by line),
 * with the default threshold read line by line (BACKFILL_READ_PATH=line), and with the default
 * threshold and the optimistic read (the default); medians of --repeat. Prints the table; the
 * figures go into BENCHMARKS.md by hand.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { parseSpec } from '../common/spec';
import { DEFAULT_RESUME_MIN_BYTES } from '../loading/load-partition';
import { generateTransactions, TRANSACTIONS_SCHEMA } from '../testkit/dataset';
import { createLoader } from '../testkit/loader';
import { transactionsSpecInput } from '../testkit/specs';
import { benchFlags, machineLine, runBench } from './bench-common';

const flags = benchFlags({ rows: 40_000, files: 6, repeat: 5 }, [], { format: ['ndjson', 'csv', 'parquet'] });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Which step of the pipeline a statement is (by its SQL text). */
function step(sql: string): string {
  const s = sql.replace(/\s+/g, ' ');
  if (s.startsWith('INSERT INTO "__backfill_raw"')) return 'read file (lines, file, line)';
  if (s.startsWith('COPY "__backfill_raw"')) return 'Parquet staging write (resume)';
  if (s.startsWith('CREATE OR REPLACE TEMP TABLE "__backfill_records" AS'))
    return 'Parquet staging read back';
  if (s.startsWith('INSERT INTO "__backfill_records"')) return 'append to records (no resume)';
  if (/json_keys\("__raw"\)\) AS name|list\(DISTINCT json_type|list_has_all/.test(s)) return 'key discovery';
  if (s.startsWith('INSERT INTO "__backfill_stage"') && /read_(json|csv|parquet)\(/.test(s))
    return 'optimistic read (typed reader, checks)';
  if (s.includes('read_ndjson_objects')) return 'optimistic read: keys (evolve)';
  if (s.startsWith('INSERT INTO "__backfill_stage"')) return 'typed pass (reasons)';
  if (s.includes('count("__reason")')) return 'stage counts';
  if (s.startsWith('CREATE OR REPLACE TEMP TABLE "__backfill_batch"')) return 'dedupe, key-sorted batch';
  if (/^(INSERT INTO|MERGE INTO|DELETE FROM|UPDATE) (?!"__backfill_)/.test(s))
    return 'write (MERGE, rejects)';
  if (/^COMMIT/.test(s)) return 'COMMIT';
  return 'other statements';
}

/** Times every statement the staging connections run (the destination commits through them too). */
function instrument(): Map<string, number> {
  const spent = new Map<string, number>();
  for (const method of ['run', 'runAndReadAll'] as const) {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- re-bound with apply below
    const original = DuckDBConnection.prototype[method] as (...args: unknown[]) => Promise<unknown>;
    (DuckDBConnection.prototype as unknown as Record<string, unknown>)[method] = async function (
      this: DuckDBConnection,
      ...args: unknown[]
    ) {
      const start = process.hrtime.bigint();
      try {
        return await original.apply(this, args);
      } finally {
        const name = step(String(args[0]));
        spent.set(name, (spent.get(name) ?? 0) + Number(process.hrtime.bigint() - start) / 1e6);
      }
    };
  }
  return spent;
}

async function main() {
  const work = path.join(os.tmpdir(), `backfill-bench-stages-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  const data = generateTransactions({
    dir: path.join(work, 'raw'),
    from: '2019-01',
    to: '2019-01',
    rowsPerPartition: flags.rows,
    filesPerPartition: flags.files,
    seed: 3,
  });
  const dir = path.join(work, 'raw', 'year=2019', 'month=01');
  if (flags.format !== 'ndjson') await rewrite(dir, flags.format);
  const bytes = readdirSync(dir).reduce((sum, f) => sum + statSync(path.join(dir, f)).size, 0);
  const spent = instrument();
  const modes = [
    ['resumable, line-level read', 0, 'line'],
    ['default threshold, line-level read (before)', DEFAULT_RESUME_MIN_BYTES, 'line'],
    ['default threshold, optimistic read (after)', DEFAULT_RESUME_MIN_BYTES, 'auto'],
  ] as const;
  const totals = new Map<string, number[]>();
  const steps = new Map<string, Map<string, number[]>>();
  for (let i = 0; i < flags.repeat; i++) {
    for (const [mode, resumeMinBytes, readPath] of [...modes.slice(i % 3), ...modes.slice(0, i % 3)]) {
      const spec = parseSpec(
        transactionsSpecInput({
          name: 'bench-stages',
          source: path.join(work, 'raw'),
          target: path.join(work, `t-${i}-${resumeMinBytes}-${readPath}.duckdb`),
          from: '2019-01',
          to: '2019-01',
        }),
      );
      const loader = createLoader({ memoryLimit: '2GB', threads: 2 }, undefined, {
        resumeMinBytes,
        readPath,
        workDir: work,
      });
      // A first load attaches the target and warms the instance; the second is measured.
      await loader.load(spec, '2019-01', 'warm-up');
      spent.clear();
      const start = process.hrtime.bigint();
      const result = await loader.load(spec, '2019-01');
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      await loader.close();
      if (result.rowsRead !== data.rows) throw new Error(`read ${result.rowsRead} of ${data.rows} rows`);
      totals.set(mode, [...(totals.get(mode) ?? []), ms]);
      const byStep = steps.get(mode) ?? new Map<string, number[]>();
      for (const [name, t] of spent) byStep.set(name, [...(byStep.get(name) ?? []), t]);
      steps.set(mode, byStep);
    }
  }
  const names = [...new Set([...steps.values()].flatMap((m) => [...m.keys()]))].sort();
  const lines = [
    `Command: \`npm run bench:stages -- ${process.argv.slice(2).join(' ')}\`: one partition of ${data.rows.toLocaleString('en-US')} rows in ${flags.files} ${{ ndjson: 'NDJSON', csv: 'CSV', parquet: 'Parquet' }[flags.format]} files (${(bytes / 2 ** 20).toFixed(1)} MiB), the real activity, 2 DuckDB threads; ms, medians of ${flags.repeat}. ${machineLine()}.`,
    '',
    `| step | ${modes.map(([m]) => m).join(' | ')} |`,
    `|---|${modes.map(() => '---|').join('')}`,
    ...names.map(
      (n) =>
        `| ${n} | ${modes.map(([m]) => (steps.get(m)?.get(n) ? median(steps.get(m)!.get(n)!).toFixed(0) : '–')).join(' | ')} |`,
    ),
    `| **whole load (activity)** | ${modes
      .map(
        ([m]) =>
          `**${median(totals.get(m)!).toFixed(0)}** (${totals
            .get(m)!
            .map((t) => t.toFixed(0))
            .join(', ')})`,
      )
      .join(' | ')} |`,
    '',
    `Ratio optimistic / line-level read (default threshold): ${(median(totals.get(modes[2][0])!) / median(totals.get(modes[1][0])!)).toFixed(2)}x`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  rmSync(work, { recursive: true, force: true });
}

/** Rewrites the partition's NDJSON files as CSV (text, a header) or Parquet (the declared types). */
async function rewrite(dir: string, format: string) {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const columns = Object.entries(TRANSACTIONS_SCHEMA)
    .map(([c, t]) => `${c}: '${format === 'csv' ? 'VARCHAR' : t}'`)
    .join(', ');
  try {
    for (const name of readdirSync(dir)) {
      const src = path.join(dir, name);
      const dst = src.replace(/\.ndjson$/, `.${format}`);
      const options = format === 'csv' ? 'FORMAT csv, HEADER true' : 'FORMAT parquet';
      await conn.run(
        `COPY (SELECT * FROM read_json('${src}', format = 'newline_delimited', columns = {${columns}})) TO '${dst}' (${options})`,
      );
      rmSync(src);
    }
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

runBench(main);
