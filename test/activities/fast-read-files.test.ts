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
