/**
 * Lossless typing under schema evolution: a widened column takes what the wider type fits exactly,
 * and a column inferred from the data never narrows its values.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseSpec } from '../../common/spec';
import { tempDir } from '../helpers';
import { createComparingLoader } from '../../testkit/read-paths';

const loader = createComparingLoader();
after(() => loader.close());

function write(dir: string, month: string, lines: string[]) {
  const base = path.join(dir, `raw/year=2020/month=${month}`);
  mkdirSync(base, { recursive: true });
  writeFileSync(path.join(base, 'a.ndjson'), lines.join('\n'));
}

const spec = (dir: string, qty: string) =>
  parseSpec({
    name: 'evolution',
    source: { uri: path.join(dir, 'raw') },
    schema: { id: 'VARCHAR', qty },
    target: { path: path.join(dir, 't.duckdb'), table: 'items', keyColumns: ['id'], lineage: false },
    range: { from: '2020-01', to: '2020-12' },
    schemaContract: 'evolve',
  });

describe('lossless typing under schema evolution', () => {
  it('INTEGER widened to BIGINT takes what BIGINT fits exactly, and still no fraction', async () => {
    const dir = tempDir();
    write(dir, '01', ['{"id": "a", "qty": 1}']);
    await loader.load(spec(dir, 'INTEGER'), '2020-01');
    write(dir, '02', [
      '{"id": "b", "qty": 3000000000}',
      '{"id": "c", "qty": "3000000000.0"}',
      '{"id": "d", "qty": 12.5}',
      '{"id": "e", "qty": 9223372036854775808}',
    ]);
    const result = await loader.load(spec(dir, 'BIGINT'), '2020-02');
    assert.equal(result.rowsRejected, 2);
    const file = path.join(dir, 't.duckdb');
    assert.deepEqual(
      await loader.query(file, "SELECT data_type AS t FROM duckdb_columns() WHERE column_name = 'qty'"),
      [{ t: 'BIGINT' }],
    );
    assert.deepEqual(
      await loader.query(file, 'SELECT id, CAST(qty AS VARCHAR) AS qty FROM items ORDER BY id'),
      [
        { id: 'a', qty: '1' },
        { id: 'b', qty: '3000000000' },
        { id: 'c', qty: '3000000000' },
      ],
    );
    assert.deepEqual(await loader.query(file, 'SELECT reason FROM items__rejects ORDER BY line'), [
      { reason: 'column "qty": 12.5 has a fraction, BIGINT takes whole numbers' },
      {
        reason:
          'column "qty": 9223372036854775808 is out of range, BIGINT takes -9223372036854775808 to 9223372036854775807',
      },
    ]);
  });

  it('a new column whose values are 1 and 2.5 becomes DOUBLE (not INTEGER); one mixing numbers and text keeps the text', async () => {
    const dir = tempDir();
    write(dir, '03', [
      '{"id": "a", "qty": 1, "ratio": 1, "code": 12}',
      '{"id": "b", "qty": 2, "ratio": 2.5, "code": "12.50"}',
    ]);
    const result = await loader.load(spec(dir, 'INTEGER'), '2020-03');
    assert.equal(result.rowsRejected, 0);
    const file = path.join(dir, 't.duckdb');
    assert.deepEqual(
      await loader.query(
        file,
        "SELECT column_name AS c, data_type AS t FROM duckdb_columns() WHERE table_name = 'items' AND column_name IN ('ratio', 'code') ORDER BY 1",
      ),
      [
        { c: 'code', t: 'VARCHAR' },
        { c: 'ratio', t: 'DOUBLE' },
      ],
    );
    assert.deepEqual(
      await loader.query(file, 'SELECT id, CAST(ratio AS VARCHAR) AS ratio, code FROM items ORDER BY id'),
      [
        { id: 'a', ratio: '1.0', code: '12' },
        { id: 'b', ratio: '2.5', code: '12.50' },
      ],
    );
  });
});
