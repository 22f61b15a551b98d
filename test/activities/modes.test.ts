import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { parseSpec, type BackfillSpecInput } from '../../common/spec';
import type { MaintenanceReport } from '../../common/types';
import { oracleLines } from '../../testkit/dataset';
import { prepareTransactionsBackfill, tempDir } from '../../testkit/fixtures';
import { createLoader } from '../../testkit/loader';
import { createComparingLoader } from '../../testkit/read-paths';
import { targetLines } from '../../testkit/oracle';
import { monthlyTarget, targetFile } from '../../testkit/specs';

const loader = createComparingLoader();
after(() => loader.close());

function write(dir: string, rel: string, lines: string[]) {
  const file = path.join(dir, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, lines.join('\n') + '\n');
}

const mixed = [
  '{"id": "a", "qty": 1, "ts": "2020-01-01T00:00:00"}',
  '{"id": "b", "qty": "lots", "ts": "2020-01-02T00:00:00"}', // line 2: qty not an INTEGER
  '{"id": "c", "qty": 3, ', // line 3: malformed JSON
  '', // line 4: blank, not a record
  '{"id": null, "qty": 5, "ts": "2020-01-03T00:00:00"}', // line 5: null key
  '[1, 2]', // line 6: not an object
  '{"id": "d", "qty": 4, "ts": "2020-01-04T00:00:00"}',
];

function spec(dir: string, extra: Partial<BackfillSpecInput> = {}) {
  return parseSpec({
    name: 'modes',
    source: { uri: path.join(dir, 'raw') },
    schema: { id: 'VARCHAR', qty: 'INTEGER', ts: 'TIMESTAMP' },
    target: monthlyTarget(path.join(dir, 't.duckdb'), 'items', 'id', 'ts'),
    range: { from: '2020-01', to: '2020-12' },
    ...extra,
  });
}

describe('read modes on a file mixing good and bad records', () => {
  it('permissive: good rows land, bad ones are quarantined with file, line, raw text and reason', async () => {
    const dir = tempDir();
    write(dir, 'raw/year=2020/month=01/a.ndjson', mixed);
    const s = spec(dir, { readMode: 'permissive' });
    const result = await loader.load(s, '2020-01', 'bf-1');
    assert.deepEqual(
      [result.rowsRead, result.rowsAccepted, result.rowsRejected, result.duplicatesRemoved],
      [6, 2, 4, 0],
    );
    const rows = await loader.query(targetFile(s), 'SELECT id, qty FROM items ORDER BY id');
    assert.deepEqual(rows, [
      { id: 'a', qty: 1 },
      { id: 'd', qty: 4 },
    ]);
    const rejects = await loader.query(
      targetFile(s),
      'SELECT backfill_id, partition_key, source_file, line, raw, reason FROM items__rejects ORDER BY line',
    );
    assert.deepEqual(rejects, [
      {
        backfill_id: 'bf-1',
        partition_key: '2020-01',
        source_file: 'year=2020/month=01/a.ndjson',
        line: '2',
        raw: mixed[1],
        reason: 'column "qty": lots is not a number, INTEGER takes whole numbers',
      },
      {
        backfill_id: 'bf-1',
        partition_key: '2020-01',
        source_file: 'year=2020/month=01/a.ndjson',
        line: '3',
        raw: mixed[2],
        reason: 'malformed JSON',
      },
      {
        backfill_id: 'bf-1',
        partition_key: '2020-01',
        source_file: 'year=2020/month=01/a.ndjson',
        line: '5',
        raw: mixed[4],
        reason: 'null key column "id"',
      },
      {
        backfill_id: 'bf-1',
        partition_key: '2020-01',
        source_file: 'year=2020/month=01/a.ndjson',
        line: '6',
        raw: mixed[5],
        reason: 'not a JSON object',
      },
    ]);
    // A re-run replaces the partition's quarantine instead of adding to it.
    await loader.load(s, '2020-01', 'bf-1');
    assert.deepEqual(await loader.query(targetFile(s), 'SELECT count(*)::INTEGER AS n FROM items__rejects'), [
      { n: 4 },
    ]);
  });

  it('dropmalformed: bad records are dropped and counted, nothing quarantined', async () => {
    const dir = tempDir();
    write(dir, 'raw/year=2020/month=01/a.ndjson', mixed);
    const s = spec(dir, { readMode: 'dropmalformed' });
    const result = await loader.load(s, '2020-01');
    assert.deepEqual([result.rowsRead, result.rowsAccepted, result.rowsRejected], [6, 2, 4]);
    assert.deepEqual(await loader.query(targetFile(s), 'SELECT id FROM items ORDER BY id'), [
      { id: 'a' },
      { id: 'd' },
    ]);
    assert.deepEqual(await loader.query(targetFile(s), 'SELECT count(*)::INTEGER AS n FROM items__rejects'), [
      { n: 0 },
    ]);
  });

  it('failfast: the partition fails without retry, naming the file and line, and nothing is written', async () => {
    const dir = tempDir();
    write(dir, 'raw/year=2020/month=01/a.ndjson', mixed);
    const s = spec(dir, { readMode: 'failfast' });
    await assert.rejects(loader.load(s, '2020-01'), (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure);
      assert.equal(err.type, 'BadRecordError');
      assert.equal(
        err.message,
        'bad record in year=2020/month=01/a.ndjson line 2: column "qty": lots is not a number, INTEGER takes whole numbers (readMode failfast; 4 bad record(s) in the partition)',
      );
      return true;
    });
    assert.equal(await loader.hasTable(targetFile(s), 'items'), false);
  });
});

describe('write modes re-run three times never duplicate', () => {
  for (const writeMode of ['merge', 'overwrite', 'append'] as const) {
    it(`${writeMode}: the table equals the oracle after every run`, async () => {
      const tx = prepareTransactionsBackfill({
        name: `wm-${writeMode}`,
        from: '2019-01',
        to: '2019-03',
        data: { rowsPerPartition: 1000, duplicateRate: 0.2, lateUpdateRate: 0 },
        targetOptions: { writeMode },
      });
      for (let run = 1; run <= 3; run++) {
        for (const key of ['2019-03', '2019-01', '2019-02']) await loader.load(tx.spec, key);
        assert.deepEqual(await targetLines(tx.target, loader), oracleLines(tx.data.oracle), `run ${run}`);
      }
    });
  }

  it('an overwrite that writes another count than its batch fails reconciliation and rolls back', async () => {
    const tx = prepareTransactionsBackfill({
      name: 'wm-reconcile',
      from: '2019-01',
      to: '2019-01',
      data: { rowsPerPartition: 500, duplicateRate: 0.2 },
      targetOptions: { writeMode: 'overwrite' },
    });
    await loader.load(tx.spec, '2019-01');
    const before = await targetLines(tx.target, loader);
    assert.deepEqual(before, oracleLines(tx.data.oracle));
    // New rows arrive, so a write that slipped through would change the table.
    write(
      tx.dir,
      'raw/year=2019/month=01/late.ndjson',
      ['n1', 'n2'].map((id) =>
        JSON.stringify({
          transaction_id: id,
          customer_id: 'c',
          amount: '1.00',
          currency: 'EUR',
          status: 'ok',
          event_time: '2019-01-05T00:00:00',
          updated_at: '2019-01-05T00:00:00',
        }),
      ),
    );
    // The real destination, told the batch holds one row more than it does: as if a row went missing.
    const skewed = createLoader(undefined, undefined, {
      wrapDestination: (real) => ({
        commit: (batch, request) => real.commit({ ...batch, rowCount: batch.rowCount + 1 }, request),
        commitMany: (request) => real.commitMany(request),
        maintain: (spec) => real.maintain(spec),
        describe: (spec) => real.describe(spec),
        close: () => real.close(),
      }),
    });
    try {
      await assert.rejects(skewed.load(tx.spec, '2019-01'), (err: unknown) => {
        assert.ok(err instanceof ApplicationFailure);
        assert.equal(err.type, 'ReconciliationError');
        assert.match(err.message, /^partition 2019-01: inserted \d+ of \d+ rows$/);
        return true;
      });
      // The partition's delete and insert rolled back together: the table is as before.
      assert.deepEqual(await targetLines(tx.target, skewed), before);
    } finally {
      await skewed.close();
    }
  });

  it('merge keeps the latest version whatever order partitions commit in (late updates)', async () => {
    const tx = prepareTransactionsBackfill({
      name: 'late',
      from: '2019-01',
      to: '2019-04',
      data: { rowsPerPartition: 800, lateUpdateRate: 0.2 },
    });
    for (const key of ['2019-04', '2019-02', '2019-03', '2019-01', '2019-02'])
      await loader.load(tx.spec, key);
    assert.deepEqual(await targetLines(tx.target, loader), oracleLines(tx.data.oracle));
  });
});

describe('schema contracts', () => {
  const write2020 = (dir: string) => {
    write(dir, 'raw/year=2020/month=06/a.ndjson', ['{"id": "a", "qty": 1, "ts": "2020-06-01T00:00:00"}']);
    write(dir, 'raw/year=2020/month=07/a.ndjson', [
      '{"id": "b", "qty": 2, "ts": "2020-07-01T00:00:00", "channel": "web", "score": 1.5}',
    ]);
  };

  it('evolve adds a column that first appears in 2020-07 (older rows null)', async () => {
    const dir = tempDir();
    write2020(dir);
    const s = spec(dir, { schemaContract: 'evolve' });
    await loader.load(s, '2020-06');
    await loader.load(s, '2020-07');
    const rows = await loader.query(targetFile(s), 'SELECT id, channel, score FROM items ORDER BY id');
    assert.deepEqual(rows, [
      { id: 'a', channel: null, score: null },
      { id: 'b', channel: 'web', score: 1.5 },
    ]);
    const types = await loader.query(
      targetFile(s),
      "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() AND table_name = 'items' AND column_name IN ('channel', 'score') ORDER BY 1",
    );
    assert.deepEqual(types, [
      { column_name: 'channel', data_type: 'VARCHAR' },
      { column_name: 'score', data_type: 'DOUBLE' },
    ]);
    // The destination describes the same columns (what a schema contract compares against).
    const described = await (await loader.destinations.open(s)).describe(s);
    assert.deepEqual(
      described.filter((c) => c.name === 'channel' || c.name === 'score'),
      [
        { name: 'channel', type: 'VARCHAR' },
        { name: 'score', type: 'DOUBLE' },
      ],
    );
    assert.deepEqual(
      await (await loader.destinations.open(s)).describe({ ...s, target: { ...s.target, table: 'nope' } }),
      [],
    );
  });

  it('freeze fails naming the new column, with expected vs found, and writes nothing', async () => {
    const dir = tempDir();
    write2020(dir);
    const s = spec(dir, { schemaContract: 'freeze' });
    await loader.load(s, '2020-06');
    await assert.rejects(loader.load(s, '2020-07'), (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure);
      assert.equal(err.type, 'SchemaContractError');
      assert.equal(
        err.message,
        'schema contract freeze: the source has column(s) the spec does not declare: "channel" (VARCHAR), "score" (DOUBLE); expected [id, qty, ts], found [channel, id, qty, score, ts]',
      );
      return true;
    });
    assert.deepEqual(await loader.query(targetFile(s), 'SELECT id FROM items ORDER BY id'), [{ id: 'a' }]);
  });

  it('widening INTEGER to BIGINT mid-range works; an incompatible change fails naming the column', async () => {
    const dir = tempDir();
    write(dir, 'raw/year=2020/month=06/a.ndjson', ['{"id": "a", "qty": 1, "ts": "2020-06-01T00:00:00"}']);
    write(dir, 'raw/year=2020/month=07/a.ndjson', [
      '{"id": "b", "qty": 5000000000, "ts": "2020-07-01T00:00:00"}',
    ]);
    await loader.load(spec(dir), '2020-06');
    const wider = spec(dir, { schema: { id: 'VARCHAR', qty: 'BIGINT', ts: 'TIMESTAMP' } });
    const result = await loader.load(wider, '2020-07');
    assert.equal(result.rowsRejected, 0);
    const target = targetFile(wider);
    assert.deepEqual(await loader.query(target, 'SELECT id, qty::VARCHAR AS qty FROM items ORDER BY id'), [
      { id: 'a', qty: '1' },
      { id: 'b', qty: '5000000000' },
    ]);
    assert.deepEqual(
      await loader.query(
        target,
        "SELECT data_type FROM duckdb_columns() WHERE database_name = current_database() AND table_name = 'items' AND column_name = 'qty'",
      ),
      [{ data_type: 'BIGINT' }],
    );

    const incompatible = spec(dir, { schema: { id: 'VARCHAR', qty: 'BOOLEAN', ts: 'TIMESTAMP' } });
    await assert.rejects(loader.load(incompatible, '2020-07'), (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure);
      assert.equal(err.type, 'SchemaContractError');
      assert.match(err.message, /column "qty": target has BIGINT, the spec says BOOLEAN/);
      return true;
    });
  });
});

describe('partitions without files, lineage', () => {
  it('a missing partition directory is empty, or fails with requireFiles', async () => {
    const dir = tempDir();
    const result = await loader.load(spec(dir), '2020-03');
    assert.equal(result.status, 'empty');
    await assert.rejects(
      loader.load(spec(dir, { source: { uri: path.join(dir, 'raw'), requireFiles: true } }), '2020-03'),
      (err: unknown) => {
        assert.ok(err instanceof ApplicationFailure);
        assert.equal(err.type, 'NoFilesError');
        return true;
      },
    );
  });

  it('lineage columns are on by default and can be turned off', async () => {
    const dir = tempDir();
    write(dir, 'raw/year=2020/month=01/a.ndjson', ['{"id": "a", "qty": 1, "ts": "2020-01-01T00:00:00"}']);
    const on = spec(dir);
    await loader.load(on, '2020-01', 'bf-x');
    assert.deepEqual(
      await loader.query(targetFile(on), 'SELECT _source_file, _backfill_id, year, month FROM items'),
      [{ _source_file: 'year=2020/month=01/a.ndjson', _backfill_id: 'bf-x', year: 2020, month: 1 }],
    );
    const off = spec(dir, {
      target: { path: path.join(dir, 'off.duckdb'), table: 'items', keyColumns: ['id'], lineage: false },
    });
    await loader.load(off, '2020-01');
    const columns = await loader.query<{ column_name: string }>(
      targetFile(off),
      "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() AND table_name = 'items' ORDER BY column_index",
    );
    assert.deepEqual(
      columns.map((c) => c.column_name),
      ['id', 'qty', 'ts'],
    );
  });
});

describe('large partitions and maintenance', () => {
  it('a partition about 4x the DuckDB memory limit loads by spilling', async (t) => {
    // ~255 MB of NDJSON against a 64 MB memory limit.
    const tx = prepareTransactionsBackfill({
      name: 'big',
      from: '2018-01',
      to: '2018-01',
      data: { rowsPerPartition: 1_350_000, filesPerPartition: 8, duplicateRate: 0.01, lateUpdateRate: 0 },
    });
    const small = createLoader({
      memoryLimit: '64MB',
      threads: 1,
      tempDirectory: path.join(tx.dir, 'spill'),
    });
    try {
      // RSS sampled while the load runs (the generator's oracle is in this process too, counted in `before`).
      const before = process.memoryUsage().rss;
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
      const result = await small.load(tx.spec, '2018-01').finally(() => clearInterval(sampler));
      assert.equal(result.rowsRead, tx.data.rows);
      assert.equal(result.rowsAccepted, tx.data.oracle.size);
      assert.deepEqual(await small.query(tx.target, "SELECT current_setting('memory_limit') AS m"), [
        { m: '61.0 MiB' },
      ]);
      const mib = (n: number) => Math.round(n / 2 ** 20);
      t.diagnostic(
        `${tx.data.rows} rows, ${mib(result.bytes)} MiB of NDJSON; RSS ${mib(before)} MiB before the load, peak ${mib(peak)} MiB during it (+${mib(peak - before)} MiB)`,
      );
    } finally {
      await small.close();
    }
  });

  it('maintenance rewrites ordered by the cluster columns, analyzes and checkpoints; the report says so', async () => {
    const dir = tempDir();
    write(dir, 'raw/year=2020/month=01/a.ndjson', [
      '{"id": "c", "qty": 3, "ts": "2020-01-03T00:00:00"}',
      '{"id": "a", "qty": 9, "ts": "2020-01-01T00:00:00"}',
      '{"id": "b", "qty": 1, "ts": "2020-01-02T00:00:00"}',
    ]);
    const s = spec(dir, { maintenance: { enabled: true, clusterBy: ['qty'] } });
    await loader.load(s, '2020-01');
    const { MockActivityEnvironment } = await import('@temporalio/testing');
    const report = await new MockActivityEnvironment().run<
      [{ spec: typeof s }],
      MaintenanceReport,
      typeof loader.activities.maintainTarget
    >(loader.activities.maintainTarget, { spec: s });
    assert.deepEqual(report.steps, ['rewrite ordered by qty', 'analyze', 'checkpoint', 'vacuum']);
    assert.equal(report.rowCount, 3);
    assert.deepEqual(await loader.query(targetFile(s), 'SELECT id FROM items'), [
      { id: 'b' },
      { id: 'c' },
      { id: 'a' },
    ]);
  });
});

describe('delete flag', () => {
  it('merge deletes a key whose latest version is flagged; an older flagged version does not delete a newer row', async () => {
    const dir = tempDir();
    write(dir, 'raw/year=2020/month=01/a.ndjson', [
      '{"id": "a", "qty": 1, "ts": "2020-01-01T00:00:00", "gone": false}',
      '{"id": "b", "qty": 1, "ts": "2020-01-01T00:00:00"}',
      '{"id": "c", "qty": 1, "ts": "2020-01-05T00:00:00"}',
    ]);
    write(dir, 'raw/year=2020/month=02/a.ndjson', [
      '{"id": "a", "qty": 2, "ts": "2020-02-01T00:00:00", "gone": true}',
      '{"id": "c", "qty": 9, "ts": "2020-01-02T00:00:00", "gone": true}',
      '{"id": "d", "qty": 1, "ts": "2020-02-01T00:00:00", "gone": true}',
    ]);
    const withTarget = (file: string) =>
      spec(dir, {
        schema: { id: 'VARCHAR', qty: 'INTEGER', ts: 'TIMESTAMP', gone: 'BOOLEAN' },
        target: {
          path: path.join(dir, file),
          table: 'items',
          partitionColumns: ['year', 'month'],
          keyColumns: ['id'],
          orderingColumn: 'ts',
          deleteColumn: 'gone',
        },
      });
    const s = withTarget('t.duckdb');
    await loader.load(s, '2020-01');
    await loader.load(s, '2020-02');
    const expected = [
      { id: 'b', qty: 1 },
      { id: 'c', qty: 1 },
    ];
    assert.deepEqual(await loader.query(targetFile(s), 'SELECT id, qty FROM items ORDER BY id'), expected);

    // The other commit order (partitions run concurrently): the older versions must not come back.
    const reversed = withTarget('reversed.duckdb');
    await loader.load(reversed, '2020-02');
    await loader.load(reversed, '2020-01');
    assert.deepEqual(
      await loader.query(targetFile(reversed), 'SELECT id, qty FROM items ORDER BY id'),
      expected,
    );
    // Re-runs change nothing; a newer version after the delete brings the key back.
    await loader.load(reversed, '2020-02');
    await loader.load(reversed, '2020-01');
    write(dir, 'raw/year=2020/month=03/a.ndjson', ['{"id": "a", "qty": 3, "ts": "2020-03-01T00:00:00"}']);
    await loader.load(reversed, '2020-03');
    await loader.load(reversed, '2020-01');
    assert.deepEqual(await loader.query(targetFile(reversed), 'SELECT id, qty FROM items ORDER BY id'), [
      { id: 'a', qty: 3 },
      ...expected,
    ]);
    assert.deepEqual(
      await loader.query(
        targetFile(reversed),
        'SELECT id, ts::VARCHAR AS ts FROM items__tombstones ORDER BY id',
      ),
      [
        { id: 'a', ts: '2020-02-01 00:00:00' },
        { id: 'c', ts: '2020-01-02 00:00:00' }, // older than c's row, so it deleted nothing
        { id: 'd', ts: '2020-02-01 00:00:00' },
      ],
    );
  });
});
