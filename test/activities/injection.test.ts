import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parseSpec, SpecError } from '../../common/spec';
import { tempDir } from '../../testkit/fixtures';
import { createComparingLoader } from '../../testkit/read-paths';

const loader = createComparingLoader();
after(() => loader.close());

const HOSTILE = `x'); DROP TABLE victim; --`;
const HOSTILE_IDENT = `c"; DROP TABLE victim; --`;

describe('hostile names and values load as data or are rejected; nothing is executed', () => {
  it('file names, directory names, column names, table names and values with quotes, semicolons and SQL', async () => {
    const dir = tempDir();
    const partitionDir = path.join(dir, 'raw', `it's; DROP`, 'year=2020', 'month=01');
    mkdirSync(partitionDir, { recursive: true });
    const record = { [HOSTILE_IDENT]: 'k1', "v'al": `'); DELETE FROM victim; --`, n: 1 };
    writeFileSync(path.join(partitionDir, `${HOSTILE}.ndjson`), `${JSON.stringify(record)}\n`);
    // The same hostile names as a CSV header and Parquet columns (each read the optimistic way too).
    const csvField = (v: string) => `"${v.replaceAll('"', '""')}"`;
    writeFileSync(
      path.join(partitionDir, `${HOSTILE}.csv`),
      `${Object.keys(record).map(csvField).join(',')}\n${['k2', record["v'al"], '2'].map(csvField).join(',')}\n`,
    );
    const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    await conn.run(
      `COPY (SELECT 'k3' AS ${quoted(HOSTILE_IDENT)}, '${record["v'al"].replaceAll("'", "''")}' AS ${quoted("v'al")}, 3 AS n) ` +
        `TO '${path.join(partitionDir, `${HOSTILE}.parquet`).replaceAll("'", "''")}' (FORMAT parquet)`,
    );
    conn.closeSync();
    db.closeSync();
    const target = path.join(dir, `t'; --.duckdb`);
    const table = `tbl"; DROP TABLE victim; --`;
    const spec = parseSpec({
      name: 'inject',
      source: { uri: path.join(dir, 'raw', `it's; DROP`) },
      schema: { [HOSTILE_IDENT]: 'VARCHAR', "v'al": 'VARCHAR', n: 'INTEGER' },
      target: {
        path: target,
        table,
        partitionColumns: ['year', 'month'],
        keyColumns: [HOSTILE_IDENT],
        orderingColumn: 'n',
      },
      range: { from: '2020-01', to: '2020-01' },
      maintenance: { enabled: true, clusterBy: ["v'al"] },
    });
    await loader.query(target, 'CREATE TABLE victim AS SELECT 42 AS answer');
    const fastBefore = { ...loader.reads.fastByFormat };
    const result = await loader.load(spec, '2020-01', 'inject');
    assert.equal(result.rowsAccepted, 3);
    for (const format of ['ndjson', 'csv', 'parquet'])
      assert.equal(
        (loader.reads.fastByFormat[format] ?? 0) - (fastBefore[format] ?? 0),
        1,
        `fast ${format} reads`,
      );
    await loader.maintain(spec);

    const tables = await loader.query<{ table_name: string }>(
      target,
      'SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() ORDER BY 1',
    );
    assert.deepEqual(tables.map((t) => t.table_name).sort(), [table, `${table}__rejects`, 'victim'].sort());
    assert.deepEqual(await loader.query(target, 'SELECT answer FROM victim'), [{ answer: 42 }]);
    const rows = await loader.query(
      target,
      `SELECT * EXCLUDE (_loaded_at) FROM "${table.replaceAll('"', '""')}" ORDER BY n`,
    );
    assert.deepEqual(
      rows,
      ['ndjson', 'csv', 'parquet'].map((ext, i) => ({
        [HOSTILE_IDENT]: `k${i + 1}`,
        "v'al": `'); DELETE FROM victim; --`,
        n: i + 1,
        year: 2020,
        month: 1,
        _source_file: `year=2020/month=01/${HOSTILE}.${ext}`,
        _backfill_id: 'inject',
      })),
    );
  });

  it('rejects hostile partition values, types, ids and layouts before anything runs', () => {
    const base = {
      name: 'x',
      source: { uri: '/d' },
      schema: { id: 'VARCHAR' },
      target: { path: '/t.duckdb', table: 't', keyColumns: ['id'] },
      range: { from: '2020-01', to: '2020-02' },
    };
    const problems = (value: unknown) => {
      try {
        parseSpec(value);
        return [];
      } catch (err) {
        assert.ok(err instanceof SpecError);
        return err.problems;
      }
    };
    assert.match(
      problems({ ...base, partitions: [`2020-01'; DROP TABLE t; --`] })[0]!,
      /^partitions\[0\]: "2020-01'; DROP TABLE t; --" is not a month partition/,
    );
    assert.match(problems({ ...base, range: { from: `2020-01; --`, to: '2020-02' } })[0]!, /^range\.from: /);
    assert.equal(
      problems({ ...base, schema: { id: `VARCHAR); DROP TABLE t; --` } })[0],
      'schema.id: is not a supported column type',
    );
    assert.match(problems({ ...base, name: `x'; DROP` })[0]!, /^name: /);
    assert.match(
      problems({ ...base, source: { uri: '/d', layout: '../../etc/{yyyy}' } })[0]!,
      /^source\.layout: must not contain "\.\."/,
    );
  });
});
