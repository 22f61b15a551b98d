import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DuckDBInstance } from '@duckdb/node-api';
import { ident, literal } from '../../loading/sql';

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
