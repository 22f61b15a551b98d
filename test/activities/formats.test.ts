import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { generateTransactions, oracleLines } from '../../testkit/dataset';
import { parseSpec } from '../../common/spec';
import { tempDir } from '../../testkit/fixtures';
import { createComparingLoader } from '../../testkit/read-paths';
import { targetLines } from '../../testkit/oracle';
import { targetFile, transactionsSpec } from '../../testkit/specs';

const COLUMNS =
  "{transaction_id: 'VARCHAR', customer_id: 'VARCHAR', amount: 'VARCHAR', currency: 'VARCHAR', status: 'VARCHAR', event_time: 'VARCHAR', updated_at: 'VARCHAR'}";

/** DuckDB COPY options and file suffix per format written through DuckDB (an independent writer). */
const COPIED: Record<string, { suffix: string; options: string }> = {
  'ndjson.zst': { suffix: 'ndjson.zst', options: "FORMAT json, COMPRESSION 'zstd'" },
  'json-array.zst': { suffix: 'json.zst', options: "FORMAT json, ARRAY true, COMPRESSION 'zstd'" },
  csv: { suffix: 'csv', options: 'FORMAT csv, HEADER true' },
  'csv.gz': { suffix: 'csv.gz', options: "FORMAT csv, HEADER true, COMPRESSION 'gzip'" },
  'csv.zst': { suffix: 'csv.zst', options: "FORMAT csv, HEADER true, COMPRESSION 'zstd'" },
  parquet: { suffix: 'parquet', options: 'FORMAT parquet' },
  'parquet-gzip': { suffix: 'parquet', options: "FORMAT parquet, COMPRESSION 'gzip'" },
  'parquet-zstd': { suffix: 'parquet', options: "FORMAT parquet, COMPRESSION 'zstd'" },
};

/** Rewrites one partition's NDJSON files in another format; returns the files written. */
async function convert(ndjsonDir: string, outDir: string, format: string): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const written: string[] = [];
  for (const name of readdirSync(ndjsonDir)) {
    const src = path.join(ndjsonDir, name);
    const base = path.join(outDir, name.replace(/\.ndjson$/, ''));
    const text = readFileSync(src);
    const array = `[\n${text.toString().trim().split('\n').join(',\n')}\n]`;
    const copied = COPIED[format];
    let target: string;
    if (copied) {
      target = `${base}.${copied.suffix}`;
      await conn.run(
        `COPY (SELECT * FROM read_json('${src}', format = 'newline_delimited', hive_partitioning = false, columns = ${COLUMNS})) TO '${target}' (${copied.options})`,
      );
    } else if (format === 'ndjson.gz') {
      writeFileSync((target = `${base}.ndjson.gz`), gzipSync(text));
    } else if (format === 'jsonl') {
      writeFileSync((target = `${base}.jsonl`), text);
    } else if (format === 'json-array') {
      writeFileSync((target = `${base}.json`), array);
    } else if (format === 'json-array.gz') {
      writeFileSync((target = `${base}.json.gz`), gzipSync(array));
    } else throw new Error(`no writer for ${format}`);
    written.push(target);
  }
  conn.closeSync();
  db.closeSync();
  return written;
}

describe('every format and compression loads the same oracle table', () => {
  const loader = createComparingLoader();
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
    'ndjson.zst',
    'jsonl',
    'json-array',
    'json-array.gz',
    'json-array.zst',
    'csv',
    'csv.gz',
    'csv.zst',
    'parquet',
    'parquet-gzip',
    'parquet-zstd',
  ]) {
    it(format, async () => {
      const source = format === 'ndjson' ? path.join(dir, 'ndjson') : path.join(dir, format);
      const written =
        format === 'ndjson'
          ? []
          : await convert(
              path.join(dir, 'ndjson', 'year=2021', 'month=05'),
              path.join(source, 'year=2021', 'month=05'),
              format,
            );
      const target = path.join(dir, `${format}.duckdb`);
      const codec = /^parquet-(\w+)$/.exec(format)?.[1];
      if (codec) {
        // The files really use the codec named (DuckDB writes snappy unless told otherwise).
        const codecs = await loader.query<{ c: string }>(
          target,
          `SELECT DISTINCT compression AS c FROM parquet_metadata([${written.map((f) => `'${f}'`).join(', ')}])`,
        );
        assert.deepEqual(codecs, [{ c: codec.toUpperCase() }]);
      }
      const spec = transactionsSpec({
        name: `fmt-${format.replace('.', '-')}`,
        source,
        target,
        from: '2021-05',
        to: '2021-05',
      });
      const before = { ...loader.reads };
      const result = await loader.load(spec, '2021-05');
      assert.equal(result.status, 'succeeded');
      assert.equal(result.files, 4);
      // Clean files take the optimistic read (but .zst, which DuckDB decompresses as it reads).
      const fast = format.endsWith('.zst') ? 0 : 4;
      assert.deepEqual(
        { fast: loader.reads.fast - before.fast, line: loader.reads.line - before.line },
        { fast, line: 4 - fast },
      );
      assert.equal(result.rowsRead, data.rows);
      assert.equal(result.rowsRejected, 0);
      assert.equal(result.rowsRead, result.rowsAccepted + result.duplicatesRemoved + result.rowsRejected);
      assert.deepEqual(await targetLines(target, loader), expected);
    });
  }
});

describe('CSV dialect', () => {
  const loader = createComparingLoader();
  after(() => loader.close());

  const dialectSpec = (dir: string, csv: object) =>
    parseSpec({
      name: 'csv-dialect',
      source: { uri: path.join(dir, 'raw'), format: 'csv', csv },
      schema: { id: 'VARCHAR', note: 'VARCHAR', qty: 'INTEGER' },
      target: { path: path.join(dir, 't.duckdb'), table: 'items', keyColumns: ['id'], lineage: false },
      range: { from: '2020-01', to: '2020-01' },
    });

  it('delimiter, quote and null string are honoured; without a header the declared columns are used in order', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'raw', 'year=2020', 'month=01', 'items.txt');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(
      file,
      [
        "a;'semi;colon inside quotes';1",
        "b;'it''s doubled';2",
        'c;NULL;NULL',
        "d;'';4", // an empty quoted string is a value, not NULL
        'e;plain;5',
      ].join('\n') + '\n',
    );
    const spec = dialectSpec(dir, { header: false, delimiter: ';', quote: "'", nullString: 'NULL' });
    const result = await loader.load(spec, '2020-01');
    assert.equal(result.rowsRead, 5);
    assert.equal(result.rowsRejected, 0);
    assert.deepEqual(await loader.query(targetFile(spec), 'SELECT id, note, qty FROM items ORDER BY id'), [
      { id: 'a', note: 'semi;colon inside quotes', qty: 1 },
      { id: 'b', note: "it's doubled", qty: 2 },
      { id: 'c', note: null, qty: null },
      { id: 'd', note: '', qty: 4 },
      { id: 'e', note: 'plain', qty: 5 },
    ]);
  });

  it('a header in another column order maps by name; a tab delimiter splits fields', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'raw', 'year=2020', 'month=01', 'items.tsv');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, ['qty\tid\tnote', '7\tx\t"quoted, with comma"', '8\ty\t'].join('\n') + '\n');
    const spec = dialectSpec(dir, { header: true, delimiter: '\t' });
    const result = await loader.load(spec, '2020-01');
    assert.equal(result.rowsRead, 2);
    assert.deepEqual(await loader.query(targetFile(spec), 'SELECT id, note, qty FROM items ORDER BY id'), [
      { id: 'x', note: 'quoted, with comma', qty: 7 },
      { id: 'y', note: null, qty: 8 },
    ]);
  });

  it('a backslash escape: escaped quotes in the header and in values', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'raw', 'year=2020', 'month=01', 'items.csv');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, ['id,"no\\"te",qty', 'f,"say \\"hi\\"",6'].join('\n') + '\n');
    const spec = parseSpec({
      name: 'csv-escape',
      source: { uri: path.join(dir, 'raw'), csv: { escape: '\\' } },
      schema: { id: 'VARCHAR', 'no"te': 'VARCHAR', qty: 'INTEGER' },
      target: { path: path.join(dir, 't.duckdb'), table: 'items', keyColumns: ['id'], lineage: false },
      range: { from: '2020-01', to: '2020-01' },
    });
    const result = await loader.load(spec, '2020-01');
    assert.equal(result.rowsRejected, 0);
    assert.deepEqual(await loader.query(targetFile(spec), 'SELECT id, "no""te" AS note, qty FROM items'), [
      { id: 'f', note: 'say "hi"', qty: 6 },
    ]);
  });

  it('every dialect above took the optimistic read (and matched the line-level read)', () => {
    assert.deepEqual(loader.reads, { fast: 3, line: 0, fastByFormat: { csv: 3 } });
  });
});
