import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { attachDatabase, ident, literal, qualified, rawNdjson, rawRejects } from '../../loading/sql';

describe('SQL quoting', () => {
  it('quotes identifiers and constant literals so hostile names stay names', async () => {
    const hostile = `x"); DROP TABLE t; --`;
    assert.equal(ident(hostile), `"x""); DROP TABLE t; --"`);
    assert.equal(literal("it's"), "'it''s'");
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    await conn.run('CREATE TABLE t (a INTEGER)');
    await conn.run(`CREATE TABLE ${ident(hostile)} (${ident("c'; --")} VARCHAR)`);
    await conn.run(`INSERT INTO ${ident(hostile)} VALUES (${literal("v'); DROP TABLE t; --")})`);
    const tables = (
      await conn.runAndReadAll('SELECT table_name FROM duckdb_tables() ORDER BY 1')
    ).getRowObjectsJson();
    assert.deepEqual(
      tables.map((r) => r.table_name),
      ['t', hostile],
    );
    const rows = (await conn.runAndReadAll(`SELECT * FROM ${ident(hostile)}`)).getRowObjectsJson();
    assert.deepEqual(rows, [{ "c'; --": "v'); DROP TABLE t; --" }]);
    conn.closeSync();
    db.closeSync();
  });
});

describe('SQL by phase', () => {
  it('a qualified name reaches the table of a catalog whose name and path are hostile', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "sql-it's-"));
    const catalog = `c"'; DETACH x; --`;
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      await conn.run(attachDatabase(path.join(dir, "t'1.duckdb"), catalog).sql);
      await conn.run(`CREATE TABLE ${qualified(catalog, 'tbl')} AS SELECT 7 AS n`);
      const rows = (
        await conn.runAndReadAll(`SELECT n FROM ${qualified(catalog, 'tbl')}`)
      ).getRowObjectsJson();
      assert.deepEqual(rows, [{ n: 7 }]);
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });

  it('the rejects table a line reader names is a literal, so a quote in it cannot end the string', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sql-rejects-'));
    const file = path.join(dir, 'bad.ndjson');
    writeFileSync(
      file,
      Buffer.concat([Buffer.from('{"a": 1}\n{"a": "'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]),
    );
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      await conn.run(
        'CREATE TEMP TABLE "__backfill_raw" ("__file" VARCHAR, "__line" BIGINT, "__raw" VARCHAR, "__reason" VARCHAR)',
      );
      const read = rawNdjson(file, 'bad.ndjson', 1 << 20, '__rejects_1');
      await conn.run(read.sql, read.params);
      for (const statement of rawRejects('bad.ndjson', '__rejects_1', 'not UTF-8'))
        await conn.run(statement.sql, statement.params);
      const rows = (
        await conn.runAndReadAll('SELECT "__reason" IS NULL AS good FROM "__backfill_raw" ORDER BY 1 DESC')
      ).getRowObjectsJson();
      assert.deepEqual(rows, [{ good: true }, { good: false }]);
      // A quote in the name reaches DuckDB as part of one value (which it refuses as a table name)
      // instead of ending the string and letting the rest run as SQL.
      const hostile = rawNdjson(file, 'bad.ndjson', 1 << 20, "r'); DROP TABLE x; --");
      await assert.rejects(
        conn.run(hostile.sql, hostile.params),
        /Binder Error: rejects_scan option: r'\); DROP TABLE x; --_scan/,
      );
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });
});
