/**
 * Randomized round trip of lossless typing (seeded: TYPING_SEED=<n> replays a run). Values drawn
 * within each declared type, written as NDJSON, JSON arrays, CSV and Parquet, load back
 * bit-identical; values drawn just outside each type are all rejected, naming their column.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { parseSpec } from '../../common/spec';
import { prng } from '../../scripts/dataset';
import { tempDir } from '../helpers';
import { targetFile } from '../../testkit/specs';
import { createComparingLoader } from '../../testkit/read-paths';
import { useScratchDuckDB } from '../../testkit/scratch-duckdb';

const SEED = Number(process.env.TYPING_SEED ?? 20261125);
const WITHIN = 300;
const OUTSIDE_PER_COLUMN = 12;

const SCHEMA = {
  id: 'VARCHAR',
  i8: 'TINYINT',
  i32: 'INTEGER',
  i64: 'BIGINT',
  u64: 'UBIGINT',
  i128: 'HUGEINT',
  dec: 'DECIMAL(15,3)',
  dbl: 'DOUBLE',
  flt: 'REAL',
  flag: 'BOOLEAN',
  day: 'DATE',
  ts: 'TIMESTAMP',
  tz: 'TIMESTAMPTZ',
  s: 'VARCHAR',
} as const;
type Column = Exclude<keyof typeof SCHEMA, 'id'>;
const COLUMNS = Object.keys(SCHEMA).filter((c) => c !== 'id') as Column[];

/** One generated value: its text, whether JSON writes it as a number, and how it must come back. */
interface Value {
  text: string;
  jsonNumber: boolean;
  /** The landed value as the check query prints it (see LANDED). */
  expect: string;
  /** The Parquet column expression (its physical type). */
  parquet: string;
}

const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;
/** How the check query prints each column: exact text, epoch microseconds for the time types. */
const LANDED: Record<Column, string> = {
  i8: 'CAST(i8 AS VARCHAR)',
  i32: 'CAST(i32 AS VARCHAR)',
  i64: 'CAST(i64 AS VARCHAR)',
  u64: 'CAST(u64 AS VARCHAR)',
  i128: 'CAST(i128 AS VARCHAR)',
  dec: 'CAST(dec AS VARCHAR)',
  dbl: 'CAST(dbl AS VARCHAR)',
  flt: 'CAST(flt AS VARCHAR)',
  flag: 'CAST(flag AS VARCHAR)',
  day: 'CAST(day AS VARCHAR)',
  ts: 'CAST(epoch_us(ts) AS VARCHAR)',
  tz: 'CAST(epoch_us(tz) AS VARCHAR)',
  s: 's',
};

function generators(random: () => number) {
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const big = (lo: bigint, hi: bigint) => {
    let r = 0n;
    for (let i = 0; i < 5; i++) r = (r << 32n) | BigInt(int(0, 0xffffffff));
    return lo + (r % (hi - lo + 1n));
  };
  const pick = <T>(xs: readonly T[]) => xs[int(0, xs.length - 1)]!;
  const bits = new DataView(new ArrayBuffer(8));
  const anyDouble = () => {
    for (;;) {
      bits.setUint32(0, int(0, 0xffffffff));
      bits.setUint32(4, int(0, 0xffffffff));
      const x = bits.getFloat64(0);
      if (Number.isFinite(x) && x !== 0) return x;
    }
  };
  const integer = (lo: bigint, hi: bigint, type: string): Value => {
    const n = big(lo, hi);
    // JSON numbers beyond 64 bits are written as strings (DuckDB keeps big integers as text either way).
    return {
      text: String(n),
      jsonNumber: n >= -(2n ** 63n) && n < 2n ** 64n,
      expect: String(n),
      parquet: `${quote(String(n))}::${type}`,
    };
  };
  const micros = (lo: string, hi: string) =>
    big(BigInt(Date.parse(lo)) * 1000n, BigInt(Date.parse(hi)) * 1000n);
  const timestampText = (us: bigint, offsetMinutes: number | undefined) => {
    const local = us + BigInt(offsetMinutes ?? 0) * 60_000_000n;
    const ms = local >= 0n ? local / 1000n : -((-local + 999n) / 1000n); // floor, also before 1970
    const iso = new Date(Number(ms)).toISOString().slice(0, 19);
    const fraction = String(((local % 1_000_000n) + 1_000_000n) % 1_000_000n).padStart(6, '0');
    if (offsetMinutes === undefined) return `${iso}.${fraction}`;
    const sign = offsetMinutes < 0 ? '-' : '+';
    const abs = Math.abs(offsetMinutes);
    return `${iso}.${fraction}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  };
  const offset = () => (random() < 0.5 ? undefined : pick([0, 60, -300, 330, 345, -570, 840, -720]));
  const within: Record<Column, () => Value> = {
    i8: () => integer(-128n, 127n, 'TINYINT'),
    i32: () => integer(-(2n ** 31n), 2n ** 31n - 1n, 'INTEGER'),
    i64: () => integer(-(2n ** 63n), 2n ** 63n - 1n, 'BIGINT'),
    u64: () => integer(0n, 2n ** 64n - 1n, 'UBIGINT'),
    // Parquet has no 128-bit integer (DuckDB would write a DOUBLE), so these go as text.
    i128: () => {
      const value = integer(-(2n ** 127n), 2n ** 127n - 1n, 'HUGEINT');
      return { ...value, parquet: quote(value.text) };
    },
    dec: () => {
      const whole = big(0n, 10n ** 12n - 1n);
      const frac = String(int(0, 999)).padStart(3, '0');
      const sign = whole === 0n && frac === '000' ? '' : pick(['', '-']);
      const text = `${sign}${whole}.${frac}`;
      // At most 15 significant digits: a JSON number DuckDB reads as a double keeps them all.
      return { text, jsonNumber: true, expect: text, parquet: `${quote(text)}::DECIMAL(15,3)` };
    },
    dbl: () => {
      const x = anyDouble();
      return { text: String(x), jsonNumber: true, expect: String(x), parquet: `${quote(String(x))}::DOUBLE` };
    },
    flt: () => {
      let x = 0;
      while (x === 0 || !Number.isFinite(x)) x = Math.fround(anyDouble());
      return { text: String(x), jsonNumber: true, expect: String(x), parquet: `${quote(String(x))}::FLOAT` };
    },
    flag: () => {
      const value = random() < 0.5;
      const text = pick(
        value ? ['true', 'TRUE', 't', 'Y', 'yes', '1'] : ['false', 'False', 'f', 'n', 'NO', '0'],
      );
      return { text, jsonNumber: false, expect: String(value), parquet: String(value) };
    },
    day: () => {
      const text = new Date(Number(micros('0001-01-01', '9999-12-31') / 1000n)).toISOString().slice(0, 10);
      return { text, jsonNumber: false, expect: text, parquet: `DATE ${quote(text)}` };
    },
    ts: () => {
      const us = micros('1000-01-01', '9999-12-30');
      const text = timestampText(us, offset());
      return { text, jsonNumber: false, expect: String(us), parquet: `make_timestamp(${us})` };
    },
    tz: () => {
      const us = micros('1000-01-01', '9999-12-30');
      const text = timestampText(us, offset());
      return { text, jsonNumber: false, expect: String(us), parquet: `make_timestamptz(${us})` };
    },
    s: () => {
      const alphabet = [
        'a',
        'Z',
        '7',
        ' ',
        ',',
        '"',
        "'",
        '\\',
        '\n',
        'é',
        '€',
        '𝄞',
        '\t',
        '{',
        '}',
        '[',
        ':',
      ];
      let text = pick(['a', 'é', '"', '{']);
      for (let n = int(0, 20); n > 0; n--) text += pick(alphabet);
      return { text, jsonNumber: false, expect: text, parquet: quote(text) };
    },
  };
  // Just outside: one past a range end, one digit too many, a time part, a nanosecond, ...
  const text = (t: string): Value => ({ text: t, jsonNumber: false, expect: '', parquet: quote(t) });
  const frac = () => `${int(0, 9999)}.${String(int(1, 9))}`;
  const outside: Record<Column, () => Value> = {
    i8: () => text(pick([String(128 + int(0, 5)), String(-129 - int(0, 5)), frac()])),
    i32: () =>
      text(
        pick([String(2n ** 31n + BigInt(int(0, 9))), String(-(2n ** 31n) - 1n - BigInt(int(0, 9))), frac()]),
      ),
    i64: () =>
      text(
        pick([
          String(2n ** 63n + BigInt(int(0, 9))),
          String(-(2n ** 63n) - 1n - BigInt(int(0, 9))),
          `${int(1, 99)}.000${int(1, 9)}`,
        ]),
      ),
    u64: () => text(pick([String(2n ** 64n + BigInt(int(0, 9))), String(-int(1, 9)), `${int(0, 99)}.5`])),
    i128: () =>
      text(
        pick([
          String(2n ** 127n + BigInt(int(0, 9))),
          String(-(2n ** 127n) - 1n - BigInt(int(0, 9))),
          `${int(1, 9)}e-1`,
        ]),
      ),
    dec: () =>
      text(
        pick([
          `${int(0, 99)}.${int(100, 999)}${int(1, 9)}`,
          `${10n ** 12n + BigInt(int(0, 999))}.5`,
          `${int(1, 9)}e-4`,
        ]),
      ),
    dbl: () =>
      text(
        pick([`${int(2, 9)}e308`, `-${int(2, 9)}e308`, 'NaN', 'Infinity', `${int(1, 9)}e-${int(330, 400)}`]),
      ),
    flt: () => text(pick([`${int(4, 9)}e38`, `-3.41e38`, `${int(1, 9)}e-${int(47, 60)}`, '-inf'])),
    flag: () => text(pick(['2', 'tru', 'yess', 'on', '-1', '1.0'])),
    day: () =>
      text(
        pick([
          `2019-0${int(1, 9)}-1${int(0, 9)}T${String(int(1, 23)).padStart(2, '0')}:00:00`,
          `201${pick([5, 7, 9])}-02-29`,
          '2019-13-01',
        ]),
      ),
    ts: () =>
      text(
        pick([
          `2019-01-0${int(1, 9)}T10:00:00.123456${int(1, 9)}`,
          '2019-13-01 00:00:00',
          `2019-01-01 ${int(25, 99)}:00:00`,
          String(int(1e9, 2e9)),
        ]),
      ),
    tz: () =>
      text(
        pick([`2019-01-0${int(1, 9)}T10:00:00.000000${int(1, 9)}+02:00`, '2019-02-30T00:00:00Z', 'epoch']),
      ),
    s: () => text('unused'),
  };
  return { within, outside };
}

const FORMATS = ['ndjson', 'json-array', 'csv', 'parquet'] as const;
type Format = (typeof FORMATS)[number];
type Row = { id: string } & Partial<Record<Column, Value>>;

const jsonOf = (row: Row) =>
  `{"id": "${row.id}"${COLUMNS.filter((c) => row[c])
    .map((c) => `, "${c}": ${row[c]!.jsonNumber ? row[c]!.text : JSON.stringify(row[c]!.text)}`)
    .join('')}}`;
const csvOf = (row: Row) =>
  [row.id, ...COLUMNS.map((c) => (row[c] ? `"${row[c].text.replaceAll('"', '""')}"` : ''))].join(',');

async function write(conn: DuckDBConnection, dir: string, format: Format, rows: Row[]) {
  const base = path.join(dir, 'raw/year=2020/month=01');
  mkdirSync(base, { recursive: true });
  if (format === 'ndjson') writeFileSync(path.join(base, 'a.ndjson'), rows.map(jsonOf).join('\n'));
  if (format === 'json-array') writeFileSync(path.join(base, 'a.json'), `[${rows.map(jsonOf).join(',\n')}]`);
  if (format === 'csv')
    writeFileSync(path.join(base, 'a.csv'), [['id', ...COLUMNS].join(','), ...rows.map(csvOf)].join('\n'));
  if (format === 'parquet') {
    // Rows of one shape share a file (a Parquet column has one type): the within rows, then each bad value alone.
    const select = (row: Row) =>
      `SELECT ${quote(row.id)} AS id${COLUMNS.filter((c) => row[c])
        .map((c) => `, ${row[c]!.parquet} AS ${c}`)
        .join('')}`;
    const within = rows.filter((r) => COLUMNS.every((c) => r[c]));
    await conn.run(
      `COPY (${within.map(select).join(' UNION ALL ')}) TO ${quote(path.join(base, 'a.parquet'))} (FORMAT parquet)`,
    );
    for (const row of rows.filter((r) => !within.includes(r))) {
      await scratch.conn.run(
        `COPY (${select(row)}) TO ${quote(path.join(base, `${row.id}.parquet`))} (FORMAT parquet)`,
      );
    }
  }
}

const loader = createComparingLoader();
const scratch = useScratchDuckDB();
after(() => loader.close());

describe(`lossless typing round trip (TYPING_SEED=${SEED})`, () => {
  for (const [f, format] of FORMATS.entries()) {
    it(`${format}: ${WITHIN} rows of values within every type land bit-identical; values just outside are all rejected`, async () => {
      const { within, outside } = generators(prng(SEED + f));
      const rows: Row[] = [];
      for (let i = 0; i < WITHIN; i++) {
        const row: Row = { id: `w${String(i).padStart(4, '0')}` };
        for (const c of COLUMNS) row[c] = within[c]();
        rows.push(row);
      }
      const bad: Row[] = [];
      for (const c of COLUMNS.filter((col) => col !== 's')) {
        for (let i = 0; i < OUTSIDE_PER_COLUMN; i++)
          bad.push({ id: `x-${c}-${String(i).padStart(2, '0')}`, [c]: outside[c]() });
      }
      const dir = tempDir();
      await write(scratch.conn, dir, format, [...rows, ...bad]);
      const spec = parseSpec({
        name: 'roundtrip',
        source: { uri: path.join(dir, 'raw') },
        schema: SCHEMA,
        target: { path: path.join(dir, 't.duckdb'), table: 'rt', keyColumns: ['id'], lineage: false },
        range: { from: '2020-01', to: '2020-01' },
      });
      const result = await loader.load(spec, '2020-01');

      const landed = await loader.query<Record<string, string>>(
        targetFile(spec),
        `SELECT id, ${COLUMNS.map((c) => `${LANDED[c]} AS ${c}`).join(', ')} FROM rt ORDER BY id`,
      );
      const mismatches: string[] = [];
      for (const [i, got] of landed.entries()) {
        const want = rows[i];
        assert.equal(got.id, want?.id);
        for (const c of COLUMNS) {
          const value = want![c]!;
          const same =
            c === 'dbl'
              ? Object.is(Number(got[c]), Number(value.expect))
              : c === 'flt'
                ? Object.is(Math.fround(Number(got[c])), Number(value.expect))
                : got[c] === value.expect;
          if (!same)
            mismatches.push(
              `${want!.id} ${c}: wrote ${JSON.stringify(value.text)}, want ${value.expect}, got ${got[c]}`,
            );
        }
      }
      assert.deepEqual(mismatches, []);
      assert.equal(landed.length, rows.length);

      const rejects = await loader.query<{ raw: string; reason: string }>(
        targetFile(spec),
        'SELECT raw, reason FROM rt__rejects ORDER BY source_file, line',
      );
      const wrong = bad
        .map((row) => {
          const column = COLUMNS.find((c) => row[c])!;
          const hit = rejects.find((r) => r.raw.includes(`"${row.id}"`));
          return hit?.reason.startsWith(`column "${column}": `)
            ? undefined
            : `${row.id} ${JSON.stringify(row[column]!.text)}: ${hit?.reason ?? 'landed'}`;
        })
        .filter(Boolean);
      assert.deepEqual(wrong, []);
      assert.deepEqual([result.rowsRead, result.rowsRejected], [rows.length + bad.length, bad.length]);
    });
  }
});
