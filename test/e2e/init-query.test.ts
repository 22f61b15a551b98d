/**
 * The operator's path from raw files to answers, through the real binary and a real dev server:
 * `init` writes the spec, `plan` accepts it as is, `start --wait` loads it without a reject, and
 * `query` reads the target — refused while the worker holds the DuckDB file, refused for a write.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { generateTransactions } from '../../scripts/dataset';
import { runCliProcess as cli } from '../../testkit/cli';
import { tempDir, uniqueId } from '../../testkit/fixtures';
import { useServerWithWorker } from '../../testkit/worker';

describe('init, plan, start and query against a real dev server', () => {
  const { worker, serverEnv } = useServerWithWorker();
  const dir = tempDir('init-e2e-');
  const raw = path.join(dir, 'raw');
  const specFile = path.join(dir, 'spec.yaml');
  const name = uniqueId('init');
  const table = name.replace(/-/g, '_');
  const data = generateTransactions({ dir: raw, from: '2020-11', to: '2021-02', rowsPerPartition: 300 });
  const query = (...args: string[]) => cli(['query', specFile, ...args]);

  it('init writes a spec that plan takes as is, and the backfill loads it without a reject', async () => {
    const written = await cli(['init', raw, '--out', specFile, '--name', name]);
    assert.equal(written.code, 0, written.stderr);
    assert.match(
      written.stdout,
      /wrote .*spec\.yaml: 2020-11\.\.2021-02 by month, 7 columns, key transaction_id/,
    );

    const plan = await cli(['plan', specFile, '--json'], serverEnv());
    assert.equal(plan.code, 0, plan.stderr);
    const planned = (JSON.parse(plan.stdout) as { partitions: { key: string; files: number }[] }).partitions;
    assert.deepEqual(
      planned.filter((p) => p.files > 0).map((p) => p.key),
      data.partitions,
    );

    const started = await cli(['start', specFile, '--wait'], serverEnv());
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /4 partitions: 4 succeeded/);
    const status = await cli(['status', name, '--json'], serverEnv());
    const totals = (JSON.parse(status.stdout) as { totals: { rowsRejected: number; rowsRead: number } })
      .totals;
    assert.equal(totals.rowsRejected, 0);
    assert.equal(totals.rowsRead, data.rows);
  });

  it('query says the worker holds the DuckDB file, with its pid, and exits non-zero', async () => {
    // The in-process worker keeps its DuckDB instance on the target open after loading.
    const locked = await query('SELECT count(*) FROM ' + table);
    assert.equal(locked.code, 5);
    assert.equal(locked.stdout, '');
    assert.equal(
      locked.stderr,
      `error: ${path.join(dir, `${name}.duckdb`)} is locked by a running worker (pid ${process.pid}): stop it, or use a DuckLake target to read while loading`,
    );
  });

  it('query reads the finished file as a table, JSON or CSV, and refuses a write', async () => {
    await worker.stop(); // closes its DuckDB instances
    const sql = `SELECT year, month, count(*) AS n, round(sum(amount), 2) AS total FROM "${table}" GROUP BY ALL ORDER BY ALL`;

    const json = await query(sql, '--json');
    assert.equal(json.code, 0, json.stderr);
    const rows = JSON.parse(json.stdout) as { year: number; month: number; n: number; total: string }[];
    assert.deepEqual(
      rows.map((r) => `${r.year}-${String(r.month).padStart(2, '0')}`),
      data.partitions,
    );
    assert.equal(
      rows.reduce((s, r) => s + r.n, 0),
      data.oracle.size,
    );

    const table_ = await query(sql);
    assert.equal(table_.code, 0, table_.stderr);
    const lines = table_.stdout.split('\n');
    assert.equal(lines.length, 1 + rows.length, 'a header and one line per row, no rules');
    assert.match(lines[0]!, /^year\s+month\s+n\s+total$/);
    assert.doesNotMatch(table_.stdout, /[│┌─]/);
    // Numbers are right-aligned: months 11 and 1 end in the same column.
    const monthEnds = lines.slice(1).map((l) => /^\s*\d+\s+\d+/.exec(l)![0].length);
    assert.equal(new Set(monthEnds).size, 1, table_.stdout);
    assert.match(table_.stdout, /\n2021\s+ 1\s/);

    const csv = await query(sql, '--csv');
    assert.equal(csv.code, 0, csv.stderr);
    assert.deepEqual(csv.stdout.split('\n'), [
      'year,month,n,total',
      ...rows.map((r) => `${r.year},${r.month},${r.n},${r.total}`),
    ]);

    for (const write of [
      `DELETE FROM "${table}"`,
      `DROP TABLE "${table}"`,
      `COPY "${table}" TO '${dir}/out.csv'`,
    ]) {
      const refused = await query(write);
      assert.equal(refused.code, 2, write);
      assert.match(
        refused.stderr,
        /^error: refused: (DELETE|DROP|COPY) statement; backfill query only reads/,
      );
      assert.equal(refused.stderr.split('\n').length, 1);
    }
    const after_ = JSON.parse((await query(`SELECT count(*) AS n FROM "${table}"`, '--json')).stdout) as {
      n: number;
    }[];
    assert.equal(after_[0]!.n, data.oracle.size, 'nothing was written');
  });
});
