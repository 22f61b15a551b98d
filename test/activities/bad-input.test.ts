/**
 * The bad-input catalog: each case sets up one kind of bad input next to a good, already loaded
 * partition (2020-01), loads 2020-02, and asserts the exact outcome — rows, quarantined reasons or
 * the failure type and message — and that the target holds nothing partial.
 * CLI-level cases (invalid spec fields, to before from, unknown backfill id, unreachable Temporal)
 * are in test/e2e/cli.test.ts; S3 ones (wrong credentials, missing bucket, unreachable endpoint)
 * in test/e2e/s3.test.ts.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { ApplicationFailure } from '@temporalio/common';
import { parseSpec, type BackfillSpecInput } from '../../common/spec';
import { tempDir } from '../../testkit/fixtures';
import { createComparingLoader } from '../../testkit/read-paths';
import { targetFile } from '../../testkit/specs';

// The worker's default memory limit: a 50 MB record needs room.
const loader = createComparingLoader({ memoryLimit: '2GB', threads: 1 });
after(() => loader.close());

const good = (id: string, n = 1, ts = '2020-02-01T00:00:00') => JSON.stringify({ id, qty: n, ts });
const FEB = 'raw/year=2020/month=02';

type Expect =
  | { rows: string[]; rejects?: string[]; duplicates?: number; status?: 'succeeded' | 'empty' }
  | { error: string; message: RegExp };

interface Case {
  name: string;
  files?: Record<string, string | Buffer>;
  spec?: Partial<BackfillSpecInput>;
  /** Runs before the load (e.g. hold a lock); returns a cleanup. */
  arrange?: (dir: string, target: string) => Promise<() => void>;
  expect: Expect;
}

const cases: Case[] = [
  {
    name: 'malformed JSON line',
    files: { [`${FEB}/a.ndjson`]: `${good('b')}\n{"id": "c",\n` },
    expect: { rows: ['b'], rejects: ['malformed JSON'] },
  },
  {
    name: 'truncated gzip',
    files: { [`${FEB}/a.ndjson.gz`]: gzipSync(`${good('b')}\n`.repeat(500)).subarray(0, 100) },
    expect: {
      error: 'SourceReadError',
      message: /^cannot read year=2020\/month=02\/a\.ndjson\.gz: unexpected end of file$/,
    },
  },
  {
    name: 'wrong type',
    files: { [`${FEB}/a.ndjson`]: `${good('b')}\n{"id": "c", "qty": "many", "ts": "2020-02-01T00:00:00"}\n` },
    expect: { rows: ['b'], rejects: ['column "qty": many is not a number, INTEGER takes whole numbers'] },
  },
  {
    name: 'integer overflow',
    files: { [`${FEB}/a.ndjson`]: `{"id": "c", "qty": 99999999999, "ts": "2020-02-01T00:00:00"}\n` },
    expect: {
      rows: [],
      rejects: ['column "qty": 99999999999 is out of range, INTEGER takes -2147483648 to 2147483647'],
    },
  },
  {
    name: 'garbage timestamp',
    files: { [`${FEB}/a.ndjson`]: `{"id": "c", "qty": 1, "ts": "yesterday"}\n` },
    expect: {
      rows: [],
      rejects: [
        'column "ts": yesterday is not a timestamp, TIMESTAMP takes YYYY-MM-DD[ HH:MM:SS[.ffffff]][±HH:MM|Z]',
      ],
    },
  },
  {
    name: 'null key',
    files: { [`${FEB}/a.ndjson`]: `${good('b')}\n{"id": null, "qty": 1}\n{"qty": 2}\n` },
    expect: { rows: ['b'], rejects: ['null key column "id"', 'null key column "id"'] },
  },
  {
    name: 'not an object',
    files: { [`${FEB}/a.ndjson`]: `[1, 2]\n"text"\n` },
    expect: { rows: [], rejects: ['not a JSON object', 'not a JSON object'] },
  },
  { name: 'missing partition directory', expect: { rows: [], status: 'empty' } },
  {
    name: 'zero files (only markers)',
    files: { [`${FEB}/_SUCCESS`]: '', [`${FEB}/.crc`]: 'x' },
    expect: { rows: [], status: 'empty' },
  },
  { name: 'empty file', files: { [`${FEB}/a.ndjson`]: '' }, expect: { rows: [] } },
  { name: 'blank lines only', files: { [`${FEB}/a.ndjson`]: '\n  \n\n' }, expect: { rows: [] } },
  {
    name: 'non-UTF-8 bytes',
    files: {
      [`${FEB}/a.ndjson`]: Buffer.concat([
        Buffer.from(`{"id": "x", "qty": 1, "note": "`),
        Buffer.from([0xff, 0xfe]),
        Buffer.from(`"}\n${good('b')}\n`),
      ]),
    },
    spec: { schemaContract: 'discard' },
    expect: {
      rows: ['b'],
      rejects: [
        'not UTF-8: invalid encoding (Invalid unicode (byte sequence mismatch) detected. This file is not utf-8 encoded.)',
      ],
    },
  },
  {
    name: 'UTF-8 BOM and CRLF line endings',
    files: { [`${FEB}/a.ndjson`]: `\ufeff${good('b')}\r\n${good('c')}\r\n` },
    expect: { rows: ['b', 'c'] },
  },
  {
    name: 'a 50 MB single line',
    files: {
      [`${FEB}/a.ndjson`]: `${JSON.stringify({ id: 'big', qty: 1, ts: '2020-02-01T00:00:00', blob: 'x'.repeat(50_000_000) })}\n${good('b')}\n`,
    },
    spec: { schemaContract: 'discard' },
    expect: { rows: ['b', 'big'] },
  },
  {
    name: 'duplicate keys (latest wins)',
    files: {
      [`${FEB}/a.ndjson`]: `${good('b', 1, '2020-02-01T00:00:00')}\n${good('b', 2, '2020-02-03T00:00:00')}\n${good('b', 3, '2020-02-02T00:00:00')}\n`,
    },
    expect: { rows: ['b'], duplicates: 2 },
  },
  {
    name: 'schema drift under freeze',
    files: { [`${FEB}/a.ndjson`]: `{"id": "b", "qty": 1, "colour": "red"}\n` },
    spec: { schemaContract: 'freeze' },
    expect: {
      error: 'SchemaContractError',
      message: /the source has column\(s\) the spec does not declare: "colour" \(VARCHAR\)/,
    },
  },
  {
    name: 'unknown column under discard',
    files: { [`${FEB}/a.ndjson`]: `{"id": "b", "qty": 1, "colour": "red"}\n` },
    spec: { schemaContract: 'discard' },
    expect: { rows: ['b'] },
  },
  {
    name: 'incompatible type change',
    files: { [`${FEB}/a.ndjson`]: `${good('b')}\n` },
    spec: { schema: { id: 'VARCHAR', qty: 'BOOLEAN', ts: 'TIMESTAMP' } },
    expect: {
      error: 'SchemaContractError',
      message: /column "qty": target has INTEGER, the spec says BOOLEAN/,
    },
  },
  {
    name: 'unknown format',
    files: { [`${FEB}/a.txt`]: 'hello\n' },
    expect: { error: 'ConfigurationError', message: /^year=2020\/month=02\/a\.txt: unknown file format/ },
  },
  {
    name: 'malformed JSON array file',
    files: { [`${FEB}/a.json`]: '[{"id": "b"}, {"id": ' },
    expect: { error: 'SourceReadError', message: /^cannot read year=2020\/month=02\/a\.json: / },
  },
  {
    name: 'CSV line with missing columns',
    files: { [`${FEB}/a.csv`]: 'id,qty,ts\nb,1,2020-02-01 00:00:00\nc,2\n' },
    expect: {
      rows: ['b'],
      rejects: ['malformed CSV: missing columns (Expected Number of Columns: 3 Found: 2)'],
    },
  },
  {
    name: 'CSV line with too many columns',
    files: { [`${FEB}/a.csv`]: 'id,qty,ts\nb,1,2020-02-01 00:00:00\nc,2,2020-02-01 00:00:00,extra\n' },
    expect: {
      rows: ['b'],
      rejects: ['malformed CSV: too many columns (Expected Number of Columns: 3 Found: 4)'],
    },
  },
  {
    name: 'bad record under failfast',
    files: { [`${FEB}/a.ndjson`]: `${good('b')}\n{oops\n` },
    spec: { readMode: 'failfast' },
    expect: {
      error: 'BadRecordError',
      message: /^bad record in year=2020\/month=02\/a\.ndjson line 2: malformed JSON/,
    },
  },
  {
    name: 'no files with requireFiles',
    spec: { source: { uri: 'RAW', requireFiles: true } },
    expect: { error: 'NoFilesError', message: /^no files for partition 2020-02/ },
  },
  {
    name: 'unwritable target path',
    files: { [`${FEB}/a.ndjson`]: `${good('b')}\n` },
    spec: { target: { path: 'UNDER_A_FILE', table: 'items', keyColumns: ['id'] } },
    expect: { error: 'ConfigurationError', message: /^cannot open target .*\/a-file\/t\.duckdb: / },
  },
  {
    name: 'target file locked by another process',
    files: { [`${FEB}/a.ndjson`]: `${good('b')}\n` },
    spec: { target: { path: 'LOCKED', table: 'items', keyColumns: ['id'] } },
    arrange: async (_dir, target) => {
      const holder = spawn(
        process.execPath,
        [
          '-e',
          `require('@duckdb/node-api').DuckDBInstance.create(${JSON.stringify(target)}).then(() => { console.log('locked'); setInterval(() => {}, 1000); })`,
        ],
        {
          cwd: path.resolve(__dirname, '..', '..', '..'),
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
      return () => holder.kill('SIGKILL');
    },
    expect: { error: 'TargetWriteError', message: /is locked by another process/ },
  },
];

describe('bad-input catalog', () => {
  it('has at least 25 cases', () => assert.ok(cases.length >= 25, `${cases.length} cases`));

  for (const c of cases) {
    it(c.name, async () => {
      const dir = tempDir();
      const defaultTarget = path.join(dir, 't.duckdb');
      const raw = path.join(dir, 'raw');
      mkdirSync(path.join(raw, 'year=2020', 'month=01'), { recursive: true });
      writeFileSync(path.join(raw, 'year=2020', 'month=01', 'a.ndjson'), `${good('jan')}\n`);
      for (const [rel, body] of Object.entries(c.files ?? {})) {
        mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        writeFileSync(path.join(dir, rel), body);
      }
      const base = {
        name: 'catalog',
        source: { uri: raw },
        schema: { id: 'VARCHAR', qty: 'INTEGER', ts: 'TIMESTAMP' },
        target: {
          path: defaultTarget,
          table: 'items',
          partitionColumns: ['year', 'month'],
          keyColumns: ['id'],
          orderingColumn: 'ts',
        },
        range: { from: '2020-01', to: '2020-12' },
      };
      const overrides = structuredClone(c.spec ?? {}) as Record<string, Record<string, unknown>>;
      if (overrides.source?.uri === 'RAW') overrides.source.uri = raw;
      if (overrides.target) overrides.target = { ...base.target, ...overrides.target };
      if (overrides.target?.path === 'LOCKED') overrides.target.path = path.join(dir, 'locked.duckdb');
      if (overrides.target?.path === 'UNDER_A_FILE') {
        writeFileSync(path.join(dir, 'a-file'), '');
        overrides.target.path = path.join(dir, 'a-file', 't.duckdb');
      }
      const spec = parseSpec({ ...base, ...overrides });
      const janSpec = parseSpec({
        ...base,
        target: {
          ...base.target,
          path: targetFile(spec).includes('a-file') ? defaultTarget : targetFile(spec),
        },
      });
      if (!c.arrange) await loader.load(janSpec, '2020-01');
      const cleanup = c.arrange ? await c.arrange(dir, targetFile(spec)) : () => {};
      try {
        if ('error' in c.expect) {
          const expected = c.expect;
          // A lock is arranged on the real target only: that case loads once, the default way.
          const load = c.arrange ? loader.loadOnce(spec, '2020-02') : loader.load(spec, '2020-02');
          await assert.rejects(load, (err: unknown) => {
            assert.ok(err instanceof ApplicationFailure, String(err));
            assert.equal(err.type, expected.error, err.message);
            assert.match(err.message, expected.message);
            return true;
          });
        } else {
          const result = await loader.load(spec, '2020-02');
          assert.equal(result.status, c.expect.status ?? 'succeeded');
          assert.equal(result.rowsRejected, c.expect.rejects?.length ?? 0);
          assert.equal(result.duplicatesRemoved, c.expect.duplicates ?? 0);
          assert.equal(result.rowsRead, result.rowsAccepted + result.duplicatesRemoved + result.rowsRejected);
        }
      } finally {
        cleanup();
      }
      if (c.arrange || targetFile(spec).includes('a-file')) return; // nothing of ours was written there
      const expectedRows = 'rows' in c.expect ? c.expect.rows : [];
      const rows = await loader.query<{ id: string; month: number }>(
        targetFile(spec),
        'SELECT id, month FROM items ORDER BY month, id',
      );
      assert.deepEqual(
        rows,
        [{ id: 'jan', month: 1 }, ...expectedRows.map((id) => ({ id, month: 2 }))],
        'the target holds exactly the good rows, nothing partial',
      );
      const rejects = await loader.query<{ reason: string }>(
        targetFile(spec),
        "SELECT reason FROM items__rejects WHERE partition_key = '2020-02' ORDER BY line",
      );
      assert.deepEqual(
        rejects.map((r) => r.reason),
        'rejects' in c.expect ? (c.expect.rejects ?? []) : [],
      );
    });
  }
});
