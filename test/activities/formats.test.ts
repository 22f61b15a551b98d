import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { generateTransactions, oracleLines, TARGET_LINES_SQL } from '../../scripts/dataset';
import { tempDir, transactionsSpec } from '../helpers';
import { createLoader } from './loading';

/** Rewrites one partition's NDJSON files in another format with DuckDB (an independent writer). */
async function convert(ndjsonDir: string, outDir: string, format: string) {
  mkdirSync(outDir, { recursive: true });
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  for (const name of readdirSync(ndjsonDir)) {
    const src = path.join(ndjsonDir, name);
    const base = path.join(outDir, name.replace(/\.ndjson$/, ''));
    const text = readFileSync(src);
    switch (format) {
      case 'ndjson.gz':
        writeFileSync(`${base}.ndjson.gz`, gzipSync(text));
        break;
      case 'jsonl':
        writeFileSync(`${base}.jsonl`, text);
        break;
      case 'json-array':
        writeFileSync(`${base}.json`, `[\n${text.toString().trim().split('\n').join(',\n')}\n]`);
        break;
      case 'csv':
      case 'csv.gz':
      case 'csv.zst':
      case 'parquet': {
        const target = `${base}.${format}`;
        const options =
          format === 'parquet'
            ? '(FORMAT parquet)'
            : `(FORMAT csv, HEADER true${format === 'csv.gz' ? ", COMPRESSION 'gzip'" : format === 'csv.zst' ? ", COMPRESSION 'zstd'" : ''})`;
        await conn.run(
          `COPY (SELECT * FROM read_json('${src}', format = 'newline_delimited', hive_partitioning = false, columns = {transaction_id: 'VARCHAR', customer_id: 'VARCHAR', amount: 'VARCHAR', currency: 'VARCHAR', status: 'VARCHAR', event_time: 'VARCHAR', updated_at: 'VARCHAR'})) TO '${target}' ${options}`,
        );
        break;
      }
    }
  }
  conn.closeSync();
  db.closeSync();
}

describe('every format and compression loads the same oracle table', () => {
  const loader = createLoader();
  after(() => loader.close());
  const dir = tempDir();
  const data = generateTransactions({
    dir: path.join(dir, 'ndjson'),
    from: '2021-05',
    to: '2021-05',
    rowsPerPartition: 3000,
    duplicateRate: 0.1,
  });
  const expected = oracleLines(data.oracle);

  for (const format of [
    'ndjson',
    'ndjson.gz',
    'jsonl',
    'json-array',
    'csv',
    'csv.gz',
    'csv.zst',
    'parquet',
  ]) {
    it(format, async () => {
      const source = format === 'ndjson' ? path.join(dir, 'ndjson') : path.join(dir, format);
      if (format !== 'ndjson')
        await convert(
          path.join(dir, 'ndjson', 'year=2021', 'month=05'),
          path.join(source, 'year=2021', 'month=05'),
          format,
        );
      const target = path.join(dir, `${format}.duckdb`);
      const spec = transactionsSpec({
        name: `fmt-${format.replace('.', '-')}`,
        source,
        target,
        from: '2021-05',
        to: '2021-05',
      });
      const result = await loader.load(spec, '2021-05');
      assert.equal(result.status, 'succeeded');
      assert.equal(result.files, 4);
      assert.equal(result.rowsRead, data.rows);
      assert.equal(result.rowsRejected, 0);
      assert.equal(result.rowsRead, result.rowsMerged + result.duplicatesRemoved + result.rowsRejected);
      const lines = (await loader.query<{ line: string }>(target, TARGET_LINES_SQL('transactions'))).map(
        (r) => r.line,
      );
      assert.deepEqual(lines, expected);
    });
  }
});
