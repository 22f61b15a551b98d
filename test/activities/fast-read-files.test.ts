/**
 * A failed optimistic read names the file that failed it, so a partition with k dirty files pays
 * k failed statements instead of one more statement per file (loading/staging/fast-read.ts). Each
 * kind of dirt, between two clean files, must be pinned to its own file, whatever its name.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { queryRows, run } from '../../loading/duckdb';
import * as sql from '../../loading/sql';
import { StagingEngine } from '../../loading/staging/engine';
import { tempDir } from '../../testkit/fixtures';

const engine = new StagingEngine({ memoryLimit: '256MB', threads: 1 });
after(() => engine.close());

const SCHEMA = { id: 'VARCHAR', qty: 'INTEGER' };
const clean = '{"id":"a","qty":1}\n{"id":"b","qty":"2"}\n';
const kinds: { name: string; body: string; keysFail?: boolean }[] = [
  { name: 'a malformed line', body: '{"id":"c","qty":1}\n{"id":\n' },
  { name: 'a record that is not an object', body: '{"id":"c","qty":1}\n[1]\n' },
  { name: 'a declared key twice', body: '{"id":"c","qty":1,"qty":2}\n' },
  { name: 'a null key', body: '{"id":null,"qty":1}\n' },
  { name: 'a value that does not fit', body: '{"id":"c","qty":1.5}\n' },
  { name: 'an undeclared key', body: '{"id":"c","qty":1,"extra":true}\n', keysFail: true },
];
// Names that quote, or look like, the reader's own message around a path.
const names = ['dirty.ndjson', 'say "hi", in file "x.ndjson'];

describe('a failed optimistic read names its file', () => {
  for (const kind of kinds)
    for (const name of names)
      it(`${kind.name}, in a file named ${JSON.stringify(name)}`, async () => {
        const dir = tempDir();
        const files = ['a.ndjson', name, 'z.ndjson'].map((f, i) => {
          writeFileSync(path.join(dir, f), i === 1 ? kind.body : clean);
          return { path: path.join(dir, f), display: f };
        });
        const conn = await engine.connect();
        try {
          await run(conn, sql.createStageTable(SCHEMA));
          const keys = await queryRows<{ path: string; name: string }>(conn, sql.fastNdjsonKeys(files)).catch(
            (err: Error) => err,
          );
          if (kind.keysFail) {
            if (keys instanceof Error) throw keys;
            assert.deepEqual(
              [...new Set(keys.filter((k) => !(k.name in SCHEMA)).map((k) => k.path))],
              [files[1]!.path],
            );
            return;
          }
          const failure =
            keys instanceof Error
              ? keys
              : await run(conn, sql.fastNdjson(files, SCHEMA, ['id'], 1 << 20)).then(
                  () => assert.fail('the fast read took a dirty file'),
                  (err: Error) => err,
                );
          assert.equal(sql.failedFile(failure.message, files), 1, failure.message);
        } finally {
          conn.closeSync();
        }
      });
});

/** CSV, JSON-array and Parquet files: each kind of dirt, between two clean files, pinned to its file. */
const OTHER_KINDS: { name: string; file: string; clean: string; body: string }[] = [
  { name: 'CSV: a field too many', file: 'csv', clean: 'id,qty\na,1\n', body: 'id,qty\nc,1,2\n' },
  { name: 'CSV: a field too few', file: 'csv', clean: 'id,qty\na,1\n', body: 'id,qty\nc,1\nd\n' },
  { name: 'CSV: an unterminated quote', file: 'csv', clean: 'id,qty\na,1\n', body: 'id,qty\nc,"1\n' },
  { name: 'CSV: a null key', file: 'csv', clean: 'id,qty\na,1\n', body: 'id,qty\n,1\n' },
  { name: 'CSV: a value that does not fit', file: 'csv', clean: 'id,qty\na,1\n', body: 'id,qty\nc,1.5\n' },
  { name: 'JSON array: a non-object', file: 'json', clean: '[{"id":"a","qty":1}]', body: '[{"id":"c"},[1]]' },
  {
    name: 'JSON array: a key twice',
    file: 'json',
    clean: '[{"id":"a","qty":1}]',
    body: '[{"id":"c","id":"d"}]',
  },
  { name: 'JSON array: a null key', file: 'json', clean: '[{"id":"a","qty":1}]', body: '[{"id":null}]' },
  { name: 'JSON array: malformed', file: 'json', clean: '[{"id":"a","qty":1}]', body: '[{"id":"c"},{"id":' },
];

describe('a failed optimistic read of CSV, JSON-array or Parquet files names its file', () => {
  for (const kind of OTHER_KINDS)
    for (const name of names)
      it(`${kind.name}, in a file named ${JSON.stringify(name)}`, async () => {
        const dir = tempDir();
        const source: sql.FastSource =
          kind.file === 'csv' ? { format: 'csv', columns: ['id', 'qty'] } : { format: 'json' };
        const files = ['a', name, 'z'].map((f, i) => {
          writeFileSync(path.join(dir, `${f}.${kind.file}`), i === 1 ? kind.body : kind.clean);
          return { path: path.join(dir, `${f}.${kind.file}`), display: f, source };
        });
        const conn = await engine.connect();
        try {
          await run(conn, sql.createStageTable(SCHEMA));
          const csv = { header: true, delimiter: ',', quote: '"', nullString: '' };
          const failure = await run(
            conn,
            sql.fastRead(files, SCHEMA, ['id'], { maxLineBytes: 1 << 20, csv }),
          ).then(
            () => assert.fail('the fast read took a dirty file'),
            (err: Error) => err,
          );
          assert.equal(sql.failedFile(failure.message, files), 1, failure.message);
        } finally {
          conn.closeSync();
        }
      });

  for (const [name, select] of [
    ['a null key', `NULL::VARCHAR AS id, 1 AS qty`],
    ['a value that does not fit', `'c' AS id, 1.5::DOUBLE AS qty`],
  ] as const)
    it(`Parquet: ${name}`, async () => {
      const dir = tempDir();
      const conn = await engine.connect();
      try {
        const files = ['a', 'b', 'z'].map((f, i) => {
          const file = path.join(dir, `${f}.parquet`);
          return { path: file, display: f, select: i === 1 ? select : `'${f}' AS id, 1.5::DOUBLE AS qty` };
        });
        for (const f of files)
          await run(conn, {
            sql: `COPY (SELECT ${f.select.replace('1.5', f.display === 'b' ? '1.5' : '1.0')}) TO '${f.path}' (FORMAT parquet)`,
          });
        await run(conn, sql.createStageTable(SCHEMA));
        const source: sql.FastSource = {
          format: 'parquet',
          columns: ['id', 'qty'],
          types: ['VARCHAR', 'DOUBLE'],
        };
        const failure = await run(
          conn,
          sql.fastRead(
            files.map((f) => ({ path: f.path, display: f.display, source })),
            SCHEMA,
            ['id'],
            { maxLineBytes: 1 << 20 },
          ),
        ).then(
          () => assert.fail('the fast read took a dirty file'),
          (err: Error) => err,
        );
        assert.equal(sql.failedFile(failure.message, files), 1, failure.message);
      } finally {
        conn.closeSync();
      }
    });
});
