/**
 * The typing rules' own table (loading/type-reference.ts) against the rules, through real DuckDB,
 * and against the README; plus the type parser and quoting. Load-level cases are in
 * test/activities/typing.test.ts and typing-roundtrip.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { normalizeType, parseColumnType } from '../../loading/column-types';
import { inferType } from '../../loading/schema-contract';
import * as sql from '../../loading/sql';
import { TYPE_REFERENCE } from '../../loading/type-reference';
import { BEGIN, END, typeReference } from '../../scripts/type-docs';

let db: DuckDBInstance;
let conn: DuckDBConnection;
before(async () => {
  db = await DuckDBInstance.create(':memory:');
  conn = await db.connect();
  await conn.run("SET TimeZone = 'UTC'");
});
after(() => {
  conn.closeSync();
  db.closeSync();
});

/** Types one record through the real staging statement; returns the landed text or the reason. */
async function stage(schema: Record<string, string>, records: string[], column = Object.keys(schema)[0]!) {
  await conn.run(sql.createRawTable.sql);
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE ${sql.ident(sql.RECORDS_TABLE)} AS SELECT * FROM ${sql.ident(sql.RAW_TABLE)}`,
  );
  for (const [i, raw] of records.entries()) {
    await conn.run(`INSERT INTO ${sql.ident(sql.RECORDS_TABLE)} VALUES ('f', $line, $raw, NULL)`, {
      line: i + 1,
      raw,
    });
  }
  await conn.run(sql.createStageTable(schema).sql);
  const statement = sql.stageFromRaw(schema, []);
  await conn.run(statement.sql, statement.params);
  const reader = await conn.runAndReadAll(
    `SELECT CAST(${sql.ident(column)} AS VARCHAR) AS v, "__reason" AS reason FROM ${sql.ident(sql.STAGE_TABLE)} ORDER BY "__line"`,
  );
  return reader.getRowObjectsJson() as { v: string | null; reason: string | null }[];
}

describe('the table of types', () => {
  for (const row of TYPE_REFERENCE) {
    it(`${row.types}: its examples land and are rejected as the table says`, async () => {
      assert.deepEqual(await stage({ c: row.good.type }, [`{"c": ${row.good.json}}`]), [
        { v: row.good.landed, reason: null },
      ]);
      if (row.bad) {
        assert.deepEqual(await stage({ c: row.bad.type }, [`{"c": ${row.bad.json}}`]), [
          { v: null, reason: row.bad.reason },
        ]);
      }
    });
  }

  it('README.md holds the generated table', () => {
    const readme = readFileSync(path.resolve(__dirname, '..', '..', '..', 'README.md'), 'utf8');
    const block = readme.slice(readme.indexOf(BEGIN), readme.indexOf(END) + END.length);
    assert.equal(block, typeReference(), 'run: node dist/scripts/type-docs.js --write');
  });
});

describe('typing rules', () => {
  it('a repeated key keeps its last value, whatever other keys the record has', async () => {
    assert.deepEqual(
      await stage({ a: 'INTEGER', b: 'VARCHAR' }, [
        '{"a": 6, "a": 7}',
        '{"a": 6, "b": "x", "a": null}',
        '{"b": {"a": 1}, "a": 2, "b": "last"}',
        '{"a": 1, "z": 2}',
      ]),
      [
        { v: '7', reason: null },
        { v: null, reason: null },
        { v: '2', reason: null },
        { v: '1', reason: null },
      ],
    );
  });

  it('a hostile column name stays a name, in the SQL and in the reason', async () => {
    const name = `a"b'c); DROP TABLE x; --`;
    const rows = await stage({ [name]: 'INTEGER' }, [
      JSON.stringify({ [name]: 1 }),
      JSON.stringify({ [name]: 1.5 }),
    ]);
    assert.deepEqual(rows, [
      { v: '1', reason: null },
      { v: null, reason: `column "${name}": 1.5 has a fraction, INTEGER takes whole numbers` },
    ]);
  });

  it('declared types parse with their aliases and spacing', () => {
    assert.equal(normalizeType(' decimal( 10 , 2 ) '), 'DECIMAL(10,2)');
    assert.equal(normalizeType('timestamp with time zone'), 'TIMESTAMPTZ');
    assert.deepEqual(parseColumnType('int'), {
      family: 'integer',
      name: 'INTEGER',
      min: '-2147483648',
      max: '2147483647',
    });
    assert.deepEqual(parseColumnType('Decimal(5, 0)'), {
      family: 'decimal',
      name: 'DECIMAL(5,0)',
      precision: 5,
      scale: 0,
    });
    assert.equal(parseColumnType('real').family, 'float');
    assert.equal(parseColumnType('text').family, 'varchar');
    assert.equal(parseColumnType('uuid').family, 'other');
  });

  it('a new column inferred from the data never narrows a value', () => {
    assert.equal(inferType(['UBIGINT', 'DOUBLE']), 'DOUBLE'); // 1 and 2.5: not INTEGER
    assert.equal(inferType(['UBIGINT', 'BIGINT', 'NULL']), 'BIGINT');
    assert.equal(inferType(['DOUBLE', 'VARCHAR']), 'VARCHAR'); // 2.5 and "12.50": kept as text
    assert.equal(inferType(['BOOLEAN', 'UBIGINT']), 'VARCHAR');
  });
});
