/**
 * Lossless typing through the real load activity (real DuckDB): every value × type case of
 * typing-cases.ts, in every format that can express it, in every read mode — the exact landed value
 * or the exact reject reason; failfast names the file, line, column and value.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { parseSpec, type BackfillSpecInput } from '../../common/spec';
import { tempDir } from '../helpers';
import { targetFile } from '../../testkit/specs';
import { createComparingLoader } from '../../testkit/read-paths';
import { useScratchDuckDB } from '../../testkit/scratch-duckdb';
import {
  FORMATS,
  TYPED_SCHEMA,
  TYPING_CASES,
  caseId,
  csvField,
  expressible,
  reasonOf,
  type Format,
  type TypedColumn,
} from './typing-cases';

const loader = createComparingLoader();
const scratch = useScratchDuckDB();
after(() => loader.close());

const PARTITION = 'raw/year=2020/month=01';
const columns = Object.keys(TYPED_SCHEMA) as (keyof typeof TYPED_SCHEMA)[];
const cases = (format: Format) =>
  TYPING_CASES.map((c, i) => ({ ...c, id: caseId(i) })).filter((c) => expressible(c, format));

type Listed = ReturnType<typeof cases>[number];
const jsonRecord = (c: Listed) =>
  c.record ? c.record.replace('%ID%', c.id) : `{"id": "${c.id}", "${c.column}": ${c.json}}`;
const quoted = (s: string) => `"${s.replaceAll('"', '""')}"`;

/** Writes the format's partition; returns each case's file (as the loader names it) and line. */
async function writePartition(
  dir: string,
  format: Format,
): Promise<Map<string, { file: string; line: number }>> {
  const where = new Map<string, { file: string; line: number }>();
  const base = path.join(dir, PARTITION);
  mkdirSync(base, { recursive: true });
  const list = cases(format);
  const display = (name: string) => `year=2020/month=01/${name}`;
  if (format === 'ndjson' || format === 'json-array') {
    const name = format === 'ndjson' ? 'a.ndjson' : 'a.json';
    const lines = list.map(jsonRecord);
    const text = format === 'ndjson' ? lines.join('\n') : `[\n${lines.join(',\n')}\n]`;
    writeFileSync(path.join(base, name), `${text}\n`);
    list.forEach((c, i) => where.set(c.id, { file: display(name), line: i + 1 }));
  } else if (format === 'csv') {
    const rows = list.map((c) =>
      columns.map((col) => (col === 'id' ? c.id : col === c.column ? quoted(csvField(c)!) : '')).join(','),
    );
    writeFileSync(path.join(base, 'a.csv'), `${columns.join(',')}\n${rows.join('\n')}\n`);
    list.forEach((c, i) => where.set(c.id, { file: display('a.csv'), line: i + 2 }));
  } else {
    // One file per case: a Parquet column has one physical type, and each case picks its own.
    for (const c of list) {
      const name = `${c.id}.parquet`;
      await scratch.conn.run(
        `COPY (SELECT '${c.id}' AS id, ${c.parquet} AS ${c.column}) TO '${path.join(base, name)}' (FORMAT parquet)`,
      );
      where.set(c.id, { file: display(name), line: 1 });
    }
  }
  return where;
}

function spec(dir: string, extra: Partial<BackfillSpecInput> = {}) {
  return parseSpec({
    name: 'typing',
    source: { uri: path.join(dir, 'raw') },
    schema: TYPED_SCHEMA,
    target: { path: path.join(dir, 't.duckdb'), table: 'typed', keyColumns: ['id'], lineage: false },
    range: { from: '2020-01', to: '2020-01' },
    ...extra,
  });
}

/** What landed, per case id: its column's value as text (TIMESTAMPTZ as its UTC time). */
async function landed(file: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const col of columns.filter((c): c is TypedColumn => c !== 'id')) {
    const value =
      col === 'instant'
        ? `CAST(make_timestamp(epoch_us("instant")) AS VARCHAR) || ' UTC'`
        : `CAST("${col}" AS VARCHAR)`;
    const rows = await loader.query<{ id: string; v: string }>(
      file,
      `SELECT id, ${value} AS v FROM typed WHERE "${col}" IS NOT NULL`,
    );
    for (const r of rows) out.set(r.id, r.v);
  }
  return out;
}

const label = (c: Listed) => `${c.id} ${c.column} ${c.json}`;
/** Landed values keyed by their case's label, so a failure says which value did what. */
const labelled = (got: Map<string, string>, list: Listed[]) =>
  Object.fromEntries([...got].map(([id, v]) => [label(list.find((c) => c.id === id)!), v]));

describe('lossless typing: every value × type case, every format, every read mode', () => {
  for (const format of FORMATS) {
    const list = cases(format);
    const good = list.filter((c) => c.rule === undefined);
    const bad = list.filter((c) => c.rule !== undefined);

    it(`${format}, permissive: ${good.length} values land exactly, ${bad.length} are quarantined with their reason`, async () => {
      const dir = tempDir();
      const where = await writePartition(dir, format);
      const s = spec(dir, { readMode: 'permissive' });
      const fastBefore = loader.reads.fastByFormat.parquet ?? 0;
      const result = await loader.load(s, '2020-01');
      // One Parquet file per case: each clean one is read the optimistic way (same result, see the kit).
      if (format === 'parquet')
        assert.equal(
          (loader.reads.fastByFormat.parquet ?? 0) - fastBefore,
          good.length,
          'fast Parquet reads',
        );
      const got = await landed(targetFile(s));
      assert.deepEqual(labelled(got, list), Object.fromEntries(good.map((c) => [label(c), c.landed])));
      const rejects = await loader.query<{ source_file: string; line: string; reason: string }>(
        targetFile(s),
        'SELECT source_file, line, reason FROM typed__rejects ORDER BY source_file, line',
      );
      assert.deepEqual(
        rejects,
        bad.map((c) => ({
          source_file: where.get(c.id)!.file,
          line: String(where.get(c.id)!.line),
          reason: reasonOf(c, format),
        })),
      );
      assert.deepEqual(
        [result.rowsRead, result.rowsAccepted, result.rowsRejected],
        [list.length, good.length, bad.length],
      );
    });

    it(`${format}, dropmalformed: the same values land, the ${bad.length} others are dropped and counted`, async () => {
      const dir = tempDir();
      await writePartition(dir, format);
      const s = spec(dir, { readMode: 'dropmalformed' });
      const result = await loader.load(s, '2020-01');
      const got = await landed(targetFile(s));
      assert.deepEqual(labelled(got, list), Object.fromEntries(good.map((c) => [label(c), c.landed])));
      assert.deepEqual(
        [result.rowsRead, result.rowsAccepted, result.rowsRejected],
        [list.length, good.length, bad.length],
      );
      assert.deepEqual(
        await loader.query(targetFile(s), 'SELECT count(*)::INTEGER AS n FROM typed__rejects'),
        [{ n: 0 }],
      );
    });

    it(`${format}, failfast: the partition fails naming the first bad record's file, line, column and value`, async () => {
      const dir = tempDir();
      const where = await writePartition(dir, format);
      const s = spec(dir, { readMode: 'failfast' });
      const first = bad[0]!;
      await assert.rejects(loader.load(s, '2020-01'), (err: unknown) => {
        assert.ok(err instanceof ApplicationFailure);
        assert.equal(err.type, 'BadRecordError');
        assert.equal(
          err.message,
          `bad record in ${where.get(first.id)!.file} line ${where.get(first.id)!.line}: ${reasonOf(first, format)} ` +
            `(readMode failfast; ${bad.length} bad record(s) in the partition)`,
        );
        return true;
      });
      assert.equal(await loader.hasTable(targetFile(s), 'typed'), false);
    });
  }

  it('timestampOffsets: reject makes a TIMESTAMP with an offset or Z a bad record; TIMESTAMPTZ keeps the instant', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, PARTITION), { recursive: true });
    const lines = [
      '{"id": "a", "event_time": "2019-01-05T10:00:00+02:00"}',
      '{"id": "b", "event_time": "2019-01-05T10:00:00Z"}',
      '{"id": "c", "event_time": "2019-01-05T10:00:00"}',
      '{"id": "d", "instant": "2019-01-05T10:00:00+02:00"}',
    ];
    writeFileSync(path.join(dir, PARTITION, 'a.ndjson'), lines.join('\n'));
    const s = spec(dir, { timestampOffsets: 'reject' });
    await loader.load(s, '2020-01');
    const got = await landed(targetFile(s));
    assert.deepEqual(Object.fromEntries(got), {
      c: '2019-01-05 10:00:00',
      d: '2019-01-05 08:00:00 UTC',
    });
    const rule = 'has a UTC offset, TIMESTAMP takes times without one (timestampOffsets: reject)';
    assert.deepEqual(await loader.query(targetFile(s), 'SELECT reason FROM typed__rejects ORDER BY line'), [
      { reason: `column "event_time": 2019-01-05T10:00:00+02:00 ${rule}` },
      { reason: `column "event_time": 2019-01-05T10:00:00Z ${rule}` },
    ]);
  });
});
