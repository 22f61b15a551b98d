/**
 * The optimistic read against the line-level path on seeded messy data (testkit/messy-data.ts):
 * every partition is loaded both ways (testkit/read-paths.ts) and must leave the same target rows,
 * the same rejects (file, line, raw text, reason), the same counts, or the same failure. Read and
 * schema-contract modes vary with the seed. Three fixed seeds and one fresh one run each time;
 * replay one with READ_PATHS_SEED=<seed> npm test -- activities/read-paths. Each condition that
 * sends a file to the line-level path (loading/staging/fast-read.ts) has its own case below.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parseSpec, type BackfillSpecInput } from '../../common/spec';
import { prng } from '../../testkit/dataset';
import { tempDir } from '../../testkit/fixtures';
import { MESSY_SCHEMA, writeMessyData } from '../../testkit/messy-data';
import { createComparingLoader } from '../../testkit/read-paths';

const loader = createComparingLoader();
after(() => loader.close());

const fresh = Math.floor(Math.random() * 2 ** 31);
const seeds = process.env.READ_PATHS_SEED ? [Number(process.env.READ_PATHS_SEED)] : [1, 2, 3, fresh];
const MONTHS = ['2021-01', '2021-02', '2021-03'];

/** The DuckDB-file target both tests load: monthly partitions of `items` keyed by id, latest ts wins. */
const itemsTarget = (dir: string) => ({
  path: path.join(dir, 't.duckdb'),
  table: 'items',
  partitionColumns: ['year', 'month'] as ('year' | 'month')[],
  keyColumns: ['id'],
  orderingColumn: 'ts',
});

describe('optimistic read and line-level read give the same table and rejects on messy data', () => {
  for (const seed of seeds) {
    it(`seed ${seed}`, async () => {
      const dir = tempDir();
      await writeMessyData({
        dir,
        seed,
        months: MONTHS,
        filesPerMonth: 4,
        recordsPerFile: 40,
        dirtyFileRate: 1 / 3,
        dirtyRecordRate: 0.1,
        mixedFormats: true,
      });
      const random = prng(seed ^ 0x5eed);
      const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
      const spec = parseSpec({
        name: `messy-${seed}`,
        source: { uri: path.join(dir, 'raw') },
        schema: MESSY_SCHEMA,
        target: { ...itemsTarget(dir), writeMode: pick(['merge', 'merge', 'overwrite']) },
        range: { from: MONTHS[0]!, to: MONTHS.at(-1)! },
        readMode: pick(['permissive', 'permissive', 'dropmalformed', 'failfast']),
        schemaContract: pick(['evolve', 'evolve', 'discard', 'freeze']),
        timestampOffsets: pick(['convert', 'reject']),
      });
      for (const month of MONTHS) {
        try {
          // A failure (failfast, freeze) is fine as long as both paths fail alike.
          await loader.load(spec, month);
        } catch (err) {
          if (err instanceof assert.AssertionError) {
            err.message = `${err.message}\nreplay: READ_PATHS_SEED=${seed} npm test -- activities/read-paths`;
            throw err;
          }
        }
      }
    });
  }

  it('took both paths, and the optimistic read for every format', () => {
    assert.ok(loader.reads.fast > 0, `fast reads: ${loader.reads.fast}`);
    assert.ok(loader.reads.line > 0, `line-level reads: ${loader.reads.line}`);
    // One replayed seed need not write every format; the fixed seeds together do.
    if (process.env.READ_PATHS_SEED) return;
    for (const format of ['ndjson', 'json', 'csv', 'parquet'])
      assert.ok(
        (loader.reads.fastByFormat[format] ?? 0) > 0,
        `fast ${format} reads: ${JSON.stringify(loader.reads)}`,
      );
  });
});

const rec = (id: string, qty: unknown = 1, ts = '2020-02-01T00:00:00') => JSON.stringify({ id, qty, ts });

/** One file each; the path the file must take, and (through the comparing loader) the same result both ways. */
const conditions: {
  name: string;
  body: string | Buffer;
  path: 'fast' | 'line';
  spec?: Partial<BackfillSpecInput>;
  file?: string;
  /** Overwrite without key columns (so a null key cannot be what fails the optimistic read). */
  noKeys?: boolean;
  /** Clean files next to it (read the optimistic way): a.<ext> before it, z.<ext> after it. */
  around?: string;
}[] = [
  { name: 'a glob character in the file name', body: `${rec('a')}\n`, path: 'line', file: 'a[1].ndjson' },
  { name: 'a clean file', body: `${rec('a')}\n${rec('b', '2')}\n`, path: 'fast' },
  {
    name: 'CRLF line ends, blank and space-only lines',
    body: `${rec('a')}\r\n\r\n   \r\n${rec('b')}\r\n`,
    path: 'fast',
  },
  {
    name: 'a key twice in a file at the same time (the later line wins)',
    body: `${rec('a', 1)}\n${rec('a', 2)}\n`,
    path: 'fast',
  },
  {
    name: 'an undeclared key under discard',
    body: `{"id":"a","qty":1,"extra":true}\n`,
    path: 'fast',
    spec: { schemaContract: 'discard' },
  },
  {
    name: 'LF and CRLF line ends mixed (the line reader fails the file)',
    body: `${rec('a')}\r\n${rec('b')}\n`,
    path: 'line',
  },
  { name: 'a line holding only a tab', body: `${rec('a')}\n\t\n`, path: 'line' },
  { name: 'a carriage return inside a record', body: `{"id":"a",\r"qty":1}\n${rec('b')}\n`, path: 'line' },
  // DuckDB's JSON reader skips a BOM at the start of a file, as the line reader does.
  { name: 'a byte order mark at the start', body: `\ufeff${rec('a')}\n`, path: 'fast' },
  { name: 'a byte order mark on a later line', body: `${rec('a')}\n\ufeff${rec('b')}\n`, path: 'line' },
  {
    name: 'a declared key given twice (the last value counts)',
    body: `{"id":"a","qty":1,"qty":2}\n`,
    path: 'line',
  },
  { name: 'an undeclared key under evolve', body: `{"id":"a","qty":1,"extra":2.5}\n`, path: 'line' },
  {
    name: 'an undeclared key under freeze',
    body: `{"id":"a","qty":1,"extra":2.5}\n`,
    path: 'line',
    spec: { schemaContract: 'freeze' },
  },
  { name: 'a null key', body: `${rec('a')}\n{"id":null,"qty":1}\n`, path: 'line' },
  { name: 'a fraction in an INTEGER', body: `${rec('a', 1.5)}\n`, path: 'line' },
  {
    name: 'a timestamp with an offset under timestampOffsets reject',
    body: `${rec('a', 1, '2020-02-01T00:00:00Z')}\n`,
    path: 'line',
    spec: { timestampOffsets: 'reject' },
  },
  { name: 'a record that is not an object', body: `${rec('a')}\n[1]\n`, path: 'line' },
  { name: 'a malformed line', body: `${rec('a')}\n{"id":\n`, path: 'line' },
  {
    name: 'invalid UTF-8',
    body: Buffer.concat([Buffer.from(`${rec('a')}\n{"id":"`), Buffer.from([0xff]), Buffer.from('"}\n')]),
    path: 'line',
  },
  // The typed reader reads a null record as a row of nulls, as it reads {}: only {} is a record.
  { name: 'a null record, no key columns', body: `${rec('a')}\nnull\n`, path: 'line', noKeys: true },
  { name: 'an empty object, no key columns', body: `${rec('a')}\n{}\n`, path: 'line', noKeys: true },
  {
    name: 'an object of nulls, no key columns',
    body: `${rec('a')}\n{"id":null}\n`,
    path: 'line',
    noKeys: true,
  },
  ...csvConditions(),
  ...jsonArrayConditions(),
];

/** CSV files (a.csv, spec columns id, qty, ts): the line path's own reader decides most cases. */
function csvConditions(): typeof conditions {
  const csv = (
    name: string,
    body: string | Buffer,
    path: 'fast' | 'line',
    spec?: Partial<BackfillSpecInput>,
  ) => ({
    name: `CSV: ${name}`,
    body,
    path,
    file: 'a.csv',
    ...(spec ? { spec } : {}),
  });
  const T = '2020-02-01T00:00:00';
  return [
    csv('a clean file', `id,qty,ts\na,1,${T}\nb,"2",${T}\n`, 'fast'),
    csv(
      'CRLF line ends, a byte order mark, no final line end',
      `\ufeffid,qty,ts\r\na,1,${T}\r\nb,2,${T}`,
      'fast',
    ),
    csv(
      'a quoted field holding a line end, the same key twice (the later record wins)',
      `id,ts,qty\na,"${T}",1\nb,${T},"2"\n"a",${T},"3"\n`,
      'fast',
    ),
    csv('columns in another order, one missing, one named in another case', `ts,QTY,id\n${T},1,a\n`, 'fast', {
      schemaContract: 'discard',
    }),
    csv('an undeclared column under discard', `id,qty,extra\na,1,x\n`, 'fast', { schemaContract: 'discard' }),
    csv('an undeclared column under evolve', `id,qty,extra\na,1,2.5\n`, 'line'),
    csv('an undeclared column under freeze', `id,qty,extra\na,1,2.5\n`, 'line', { schemaContract: 'freeze' }),
    csv('two columns equal but for case', `id,qty,QTY\na,1,2\n`, 'line', { schemaContract: 'discard' }),
    csv('only a header', `id,qty,ts\n`, 'fast'),
    csv('a blank line', `id,qty,ts\na,1,${T}\n\nb,2,${T}\n`, 'fast'),
    csv('a line with a field too many', `id,qty,ts\na,1,${T}\nb,2,${T},x\n`, 'line'),
    csv('a line with a field too few', `id,qty,ts\na,1,${T}\nb,2\n`, 'line'),
    csv('an unterminated quote', `id,qty,ts\na,1,${T}\nb,"2,${T}\n`, 'line'),
    {
      ...csv('an unterminated quote between two clean files', `id,qty,ts\nb,1,${T}\nc,"2,${T}\n`, 'line'),
      file: 'm.csv',
      around: `id,qty,ts\na,1,${T}\n`,
    },
    csv('a null key (empty field)', `id,qty,ts\na,1,${T}\n,2,${T}\n`, 'line'),
    csv('a fraction in an INTEGER', `id,qty,ts\na,1.5,${T}\n`, 'line'),
    csv(
      'invalid UTF-8',
      Buffer.concat([Buffer.from(`id,qty,ts\na,1,${T}\nb,1,"`), Buffer.from([0xff]), Buffer.from('"\n')]),
      'line',
    ),
    csv('no header', `a,1,${T}\nb,2\n`, 'line', { source: { uri: '', csv: { header: false } } }),
    csv('no header, clean', `a,1,${T}\nb,2,${T}\n`, 'fast', { source: { uri: '', csv: { header: false } } }),
  ];
}

/** JSON-array files (a.json): the strict JSON reader in array form, as for NDJSON lines. */
function jsonArrayConditions(): typeof conditions {
  const json = (
    name: string,
    body: string,
    path: 'fast' | 'line',
    more: Partial<(typeof conditions)[0]> = {},
  ) => ({
    name: `JSON array: ${name}`,
    body,
    path,
    file: 'a.json',
    ...more,
  });
  const nested = '{"id":"b","qty":2,"note":{"x":[1,2.50,"\\u00e9"]},"big":12345678901234567890123,"e":1E2}';
  return [
    json('a clean file', `[${rec('a')},\n${rec('b', '2')}]`, 'fast'),
    json('a byte order mark, whitespace, one line', `\ufeff \n [${rec('a')},${rec('b')}] \n`, 'fast'),
    json(
      'the same key twice (the later element wins)',
      `[${rec('a', 1)},${rec('a', 2)},${rec('a', 3)}]`,
      'fast',
    ),
    json('nested values, big numbers, escapes under discard', `[${rec('a')},${nested}]`, 'fast', {
      spec: {
        schemaContract: 'discard',
        schema: { id: 'VARCHAR', qty: 'INTEGER', ts: 'TIMESTAMP', note: 'VARCHAR' },
      },
    }),
    json('an undeclared key under evolve', `[${rec('a')},{"id":"b","extra":[1]}]`, 'line'),
    json('a declared key given twice', `[{"id":"a","qty":1,"qty":2}]`, 'line'),
    json('an element that is not an object', `[${rec('a')},[1]]`, 'line'),
    json('a null element, no key columns', `[${rec('a')},null]`, 'line', { noKeys: true }),
    json('a null key', `[${rec('a')},{"id":null}]`, 'line'),
    json('a value that does not fit', `[${rec('a', '1.5')}]`, 'line'),
    json('an empty array', `[]`, 'fast'),
    json('an array cut after a comma (DuckDB reads it either way)', `[${rec('a')},`, 'fast'),
    json('an array cut inside an element (the partition fails either way)', `[${rec('a')},{"id":`, 'line'),
  ];
}

describe('each condition of the optimistic read decides the path and keeps the result', () => {
  for (const c of conditions) {
    it(`${c.name}: ${c.path}`, async () => {
      const dir = tempDir();
      const month = path.join(dir, 'raw', 'year=2020', 'month=02');
      mkdirSync(month, { recursive: true });
      writeFileSync(path.join(month, c.file ?? 'a.ndjson'), c.body);
      const ext = path.extname(c.file ?? 'a.ndjson');
      if (c.around !== undefined)
        for (const name of ['a', 'z']) writeFileSync(path.join(month, `${name}${ext}`), c.around);
      const spec = parseSpec({
        name: 'conditions',
        ...c.spec,
        source: { ...c.spec?.source, uri: path.join(dir, 'raw') },
        schema: c.spec?.schema ?? { id: 'VARCHAR', qty: 'INTEGER', ts: 'TIMESTAMP' },
        target: c.noKeys ? { ...itemsTarget(dir), keyColumns: [], writeMode: 'overwrite' } : itemsTarget(dir),
        range: { from: '2020-02', to: '2020-02' },
      });
      const before = { ...loader.reads };
      await loader.load(spec, '2020-02').catch((err: unknown) => {
        if (err instanceof assert.AssertionError) throw err;
      });
      const other = c.path === 'fast' ? 'line' : 'fast';
      // The clean files around it take the optimistic read.
      const around = c.around === undefined ? 0 : 2;
      assert.equal(
        loader.reads[c.path] - before[c.path],
        c.path === 'fast' ? 1 + around : 1,
        `read ${c.path}`,
      );
      assert.equal(loader.reads[other] - before[other], other === 'fast' ? around : 0, `read ${other}`);
    });
  }
});

/** Parquet files written by DuckDB from one SELECT: typed values reach the typed pass as the same text. */
const parquetConditions: {
  name: string;
  select: string;
  path: 'fast' | 'line';
  spec?: Partial<BackfillSpecInput>;
}[] = [
  {
    name: 'typed columns',
    select: `'a' AS id, 1::INTEGER AS qty, TIMESTAMP '2020-02-01 10:00:00' AS ts`,
    path: 'fast',
  },
  {
    name: 'a whole DOUBLE, a DECIMAL, a DATE, an integer key',
    select: `7::BIGINT AS id, 2.0::DOUBLE AS qty, DATE '2020-02-03' AS ts, 3.10::DECIMAL(10,2) AS note`,
    path: 'fast',
  },
  { name: 'a DOUBLE with a fraction into INTEGER', select: `'a' AS id, 2.5::DOUBLE AS qty`, path: 'line' },
  {
    name: 'odd and nested types into VARCHAR',
    select:
      `'a' AS id, unnest([{'x': [1.5, 'nan'::DOUBLE]}::VARCHAR, NULL]) AS note0, ` +
      `unnest(['nan'::DOUBLE, 'inf'::DOUBLE]) AS qty0, unnest([170141183460469231731687303715884105727::HUGEINT, 1]) AS h`,
    path: 'fast',
    spec: { schemaContract: 'discard' },
  },
  ...[
    `{'x': [1.5, 'nan'::DOUBLE], 'y': MAP {1: 'a'}}`,
    `'\\xff\\x00'::BLOB`,
    `INTERVAL 3 DAY`,
    `'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID`,
    `'inf'::DOUBLE`,
    `TIMESTAMPTZ '2020-02-01 10:00:00+02'`,
    `TIME '10:00:00'`,
    `[1, NULL, 3]`,
    // Types read by a cast to text (sql/fast-sources.ts), at their extremes.
    `(-9223372036854775808)::BIGINT`,
    `18446744073709551615::UBIGINT`,
    `(-128)::TINYINT`,
    `'infinity'::DATE`,
    `DATE '-0044-03-15'`,
    `'-infinity'::TIMESTAMP`,
    `TIMESTAMP '0001-01-01 00:00:00.000001'`,
    `'é "q" \\ ' || chr(0) || chr(10)`,
    `false`,
  ].map((value) => ({
    name: `${value} into VARCHAR`,
    select: `'a' AS id, ${value} AS note`,
    path: 'fast' as const,
  })),
  { name: 'a BC date into TIMESTAMP', select: `'a' AS id, DATE '-0044-03-15' AS ts`, path: 'fast' },
  { name: 'an infinite date into TIMESTAMP', select: `'a' AS id, 'infinity'::DATE AS ts`, path: 'line' },
  { name: 'a UBIGINT too large for INTEGER', select: `'a' AS id, 4294967296::UBIGINT AS qty`, path: 'line' },
  { name: 'a NaN DOUBLE into INTEGER', select: `'a' AS id, 'nan'::DOUBLE AS qty`, path: 'line' },
  {
    name: 'a TIMESTAMPTZ (converted)',
    select: `'a' AS id, TIMESTAMPTZ '2020-02-01 10:00:00+02' AS ts`,
    path: 'fast',
  },
  {
    name: 'a TIMESTAMPTZ under timestampOffsets reject',
    select: `'a' AS id, TIMESTAMPTZ '2020-02-01 10:00:00+02' AS ts`,
    path: 'line',
    spec: { timestampOffsets: 'reject' },
  },
  {
    name: 'a TIMESTAMP_NS with nanoseconds',
    select: `'a' AS id, '2020-02-01 10:00:00.123456789'::TIMESTAMP_NS AS ts`,
    path: 'line',
  },
  {
    name: 'a TIMESTAMP_NS on the microsecond',
    select: `'a' AS id, '2020-02-01 10:00:00.5'::TIMESTAMP_NS AS ts`,
    path: 'fast',
  },
  { name: 'no rows', select: `'a' AS id, 1 AS qty LIMIT 0`, path: 'fast' },
  {
    name: 'no rows, an undeclared column, freeze',
    select: `'a' AS id, 1 AS extra LIMIT 0`,
    path: 'line',
    spec: { schemaContract: 'freeze' },
  },
  { name: 'an undeclared column under evolve', select: `'a' AS id, 1 AS extra`, path: 'line' },
  {
    name: 'an undeclared column under discard',
    select: `'a' AS id, 1 AS extra`,
    path: 'fast',
    spec: { schemaContract: 'discard' },
  },
  { name: 'a null key', select: `unnest(['a', NULL]) AS id`, path: 'line' },
  {
    name: 'a column named like the declared one but for case',
    select: `'a' AS id, 5 AS QTY`,
    path: 'fast',
    spec: { schemaContract: 'discard' },
  },
];

describe('each Parquet condition decides the path and keeps the result', () => {
  for (const c of parquetConditions) {
    it(`${c.name}: ${c.path}`, async () => {
      const dir = tempDir();
      const month = path.join(dir, 'raw', 'year=2020', 'month=02');
      mkdirSync(month, { recursive: true });
      const file = path.join(month, 'a.parquet');
      const db = await DuckDBInstance.create(':memory:');
      const conn = await db.connect();
      await conn.run(`COPY (SELECT ${c.select}) TO '${file}' (FORMAT parquet)`);
      conn.closeSync();
      db.closeSync();
      const spec = parseSpec({
        name: 'parquet-conditions',
        ...c.spec,
        source: { uri: path.join(dir, 'raw') },
        schema: { id: 'VARCHAR', qty: 'INTEGER', ts: 'TIMESTAMP', note: 'VARCHAR' },
        target: itemsTarget(dir),
        range: { from: '2020-02', to: '2020-02' },
      });
      const before = { ...loader.reads };
      await loader.load(spec, '2020-02').catch((err: unknown) => {
        if (err instanceof assert.AssertionError) throw err;
      });
      const other = c.path === 'fast' ? 'line' : 'fast';
      assert.equal(loader.reads[c.path] - before[c.path], 1, `read ${c.path}`);
      assert.equal(loader.reads[other] - before[other], 0, `not read ${other}`);
    });
  }
});
