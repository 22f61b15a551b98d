/**
 * The DuckLake destination through the real load activity: a real PostgreSQL catalog, data on a
 * real MinIO, the provisioned extensions. Rows, partition layout, snapshot ids and time travel,
 * rejects and tombstones as lake tables, conflicts between two workers' engines retried, maintenance,
 * and the failures that must be one clear configuration line with nothing written.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { NON_RETRYABLE_FAILURE_TYPES } from '../../common/failures';
import type { LoadPartitionResult } from '../../common/types';
import { parseSpec, type BackfillSpec, type BackfillSpecInput } from '../../common/spec';
import { catalogFiles } from '../../testkit/ducklake-reader';
import { tempDir } from '../../testkit/fixtures';
import { startLakeServers, type LakeLocation, type LakeServers } from '../../testkit/lake-servers';
import { freePort } from '../../testkit/ports';
import type { Destination } from '../../loading/destinations';
import { createLoader, type Loader } from './loading';

const BUCKET = 'lakehouse';

function write(dir: string, rel: string, rows: object[]) {
  const file = path.join(dir, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

/** 50 rows in one file for each month of 2020 up to `months`; `row(mm, m, i)` makes row i of month m. */
function writeMonths(dir: string, months: number, row: (mm: string, m: number, i: number) => object) {
  for (let m = 1; m <= months; m++) {
    const mm = String(m).padStart(2, '0');
    write(
      dir,
      `raw/year=2020/month=${mm}/a.ndjson`,
      Array.from({ length: 50 }, (_, i) => row(mm, m, i)),
    );
  }
}

/** One load as its own activity (id), as on a worker: staged files are kept per activity. */
const loadAs = (w: Loader, spec: BackfillSpec, key: string): Promise<LoadPartitionResult> =>
  new MockActivityEnvironment({ attempt: 1, activityId: randomUUID() }).run(w.activities.loadPartition, {
    spec,
    partitionKey: key,
    backfillId: spec.name,
  });

/**
 * Instruments destinations so the first commit of each of two meets the other's inside its
 * transaction (after the writes, before COMMIT): both COMMIT at the same moment.
 */
function meetingPoint(): (d: Destination) => Destination {
  let arrived = 0;
  let meet!: () => void;
  const met = new Promise<void>((resolve) => (meet = resolve));
  return (d) => {
    let first = true;
    return {
      maintain: (spec) => d.maintain(spec),
      describe: (spec) => d.describe(spec),
      close: () => d.close(),
      commitMany: (request) => d.commitMany(request),
      commit: (batch, request) => {
        if (!first) return d.commit(batch, request);
        first = false;
        return d.commit(batch, {
          ...request,
          beforeCommit: async () => {
            if (++arrived === 2) meet();
            await met;
            await request.beforeCommit();
          },
        });
      },
    };
  };
}

describe('DuckLake destination (PostgreSQL catalog, data on MinIO)', () => {
  let servers: LakeServers;
  let lakes = 0;
  const loaders: Loader[] = [];
  before(async () => {
    servers = await startLakeServers(BUCKET);
  });
  after(async () => {
    for (const l of loaders) await l.close();
    await servers?.stop();
  });

  const workerEnv = () => servers.lakeEnv();
  const loader = (
    env: NodeJS.ProcessEnv = workerEnv(),
    connectWindowMs = 2000,
    wrapDestination?: (d: Destination) => Destination,
  ) => {
    const l = createLoader({ memoryLimit: '512MB', threads: 1 }, undefined, {
      lake: { env, connectWindowMs },
      ...(wrapDestination ? { wrapDestination } : {}),
    });
    loaders.push(l);
    return l;
  };
  /** A fresh lake: its own catalog database and data prefix. */
  const newLake = () => servers.newLake(`lake${++lakes}`);
  const read = <T>(l: LakeLocation, sql: string) => servers.read<T>(l, sql);
  const spec = (dir: string, l: LakeLocation, extra: Partial<BackfillSpecInput> = {}) =>
    parseSpec({
      name: 'lake',
      source: { uri: path.join(dir, 'raw'), endpoint: servers.minio.endpoint },
      schema: { id: 'VARCHAR', qty: 'INTEGER', ts: 'TIMESTAMP', deleted: 'BOOLEAN' },
      target: {
        type: 'ducklake',
        catalog: l.catalog,
        dataPath: l.dataPath,
        table: 'items',
        partitionColumns: ['year', 'month'],
        keyColumns: ['id'],
        orderingColumn: 'ts',
        deleteColumn: 'deleted',
        ...((extra.target ?? {}) as object),
      },
      range: { from: '2020-01', to: '2020-12' },
      ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'target')),
    });

  it('merges partitions into a partitioned lake table: latest wins, deletes and tombstones hold, rejects kept; each commit records its snapshot and AT (VERSION => id - 1) reads the table without it', async () => {
    const dir = tempDir();
    const l = newLake();
    write(dir, 'raw/year=2020/month=01/a.ndjson', [
      { id: 'a', qty: 1, ts: '2020-01-01T00:00:00' },
      { id: 'b', qty: 2, ts: '2020-01-02T00:00:00' },
      { id: 'c', qty: 3, ts: '2020-01-03T00:00:00' },
      { id: 'x', qty: 'lots', ts: '2020-01-03T00:00:00' },
    ]);
    write(dir, 'raw/year=2020/month=02/a.ndjson', [
      { id: 'a', qty: 10, ts: '2020-02-01T00:00:00' }, // late update of a January key
      { id: 'b', deleted: true, ts: '2020-02-02T00:00:00' }, // flagged delete
      { id: 'd', qty: 4, ts: '2020-02-04T00:00:00' },
    ]);
    // March carries an old version of b (before its delete): the tombstone keeps it out.
    write(dir, 'raw/year=2020/month=03/a.ndjson', [{ id: 'b', qty: 99, ts: '2020-01-15T00:00:00' }]);
    const s = spec(dir, l);
    const w = loader();
    const jan = await loadAs(w, s, '2020-01');
    const feb = await loadAs(w, s, '2020-02');
    const mar = await loadAs(w, s, '2020-03');
    assert.equal(jan.rowsRejected, 1);
    for (const r of [jan, feb, mar]) assert.equal(r.conflictsRetried, 0);
    assert.ok(
      jan.snapshotId! < feb.snapshotId! && feb.snapshotId! < mar.snapshotId!,
      JSON.stringify([jan, feb, mar]),
    );

    const rows = 'SELECT id, qty, year, month FROM items ORDER BY id';
    assert.deepEqual(await read(l, rows), [
      { id: 'a', qty: 10, year: 2020, month: 2 },
      { id: 'c', qty: 3, year: 2020, month: 1 },
      { id: 'd', qty: 4, year: 2020, month: 2 },
    ]);
    // The snapshot before February's commit is January's table.
    assert.deepEqual(
      await read(
        l,
        `SELECT id, qty, year, month FROM items AT (VERSION => ${feb.snapshotId! - 1}) ORDER BY id`,
      ),
      [
        { id: 'a', qty: 1, year: 2020, month: 1 },
        { id: 'b', qty: 2, year: 2020, month: 1 },
        { id: 'c', qty: 3, year: 2020, month: 1 },
      ],
    );
    const changes = await read<{ change_type: string; id: string }>(
      l,
      `SELECT change_type, id FROM table_changes('items', ${feb.snapshotId}, ${feb.snapshotId}) ORDER BY ALL`,
    );
    assert.deepEqual(
      changes.map((c) => `${c.change_type}:${c.id}`),
      ['delete:b', 'insert:d', 'update_postimage:a', 'update_preimage:a'],
    );
    assert.deepEqual(await read(l, 'SELECT id FROM items__tombstones'), [{ id: 'b' }]);
    assert.deepEqual(await read(l, 'SELECT partition_key, reason FROM items__rejects'), [
      { partition_key: '2020-01', reason: 'column "qty": lots is not a number, INTEGER takes whole numbers' },
    ]);
    const files = await servers.dataFiles(l);
    for (const month of [1, 2])
      assert.ok(
        files.some((f) => f.startsWith(`${l.dataPath}main/items/year=2020/month=${month}/`)),
        files.join('\n'),
      );
  });

  it('overwrite replaces a partition; two workers committing at once without the commit lock conflict, re-run and converge', async () => {
    const dir = tempDir();
    const l = newLake();
    const months = 12;
    writeMonths(dir, months, (mm, _m, i) => ({ id: `${mm}-${i}`, qty: i, ts: `2020-${mm}-01T00:00:00` }));
    const s = spec(dir, l, { target: { writeMode: 'overwrite', commitLock: 'none' } as never });
    const barrier = meetingPoint();
    const [a, b] = [loader(workerEnv(), 2000, barrier), loader(workerEnv(), 2000, barrier)];
    const keys = Array.from({ length: months }, (_, i) => `2020-${String(i + 1).padStart(2, '0')}`);
    // Two workers, each loading its half in turn, both committing at the same time.
    const half = async (w: Loader, mine: string[]) => {
      const out: LoadPartitionResult[] = [];
      for (const k of mine) out.push(await loadAs(w, s, k));
      return out;
    };
    const results = (
      await Promise.all([
        half(
          a,
          keys.filter((_, i) => i % 2 === 0),
        ),
        half(
          b,
          keys.filter((_, i) => i % 2 === 1),
        ),
      ])
    ).flat();
    const again = await loadAs(a, s, '2020-03'); // a re-run replaces, never duplicates
    assert.equal(again.rowsWritten, 50);
    const conflicts = results.reduce((n, r) => n + (r.conflictsRetried ?? 0), 0);
    process.stdout.write(`# conflicts retried by two engines over ${months} partitions: ${conflicts}\n`);
    assert.ok(conflicts > 0, 'two engines committing at once never conflicted');
    assert.deepEqual(
      await read(l, 'SELECT count(*)::INTEGER AS n, count(DISTINCT id)::INTEGER AS k FROM items'),
      [{ n: 600, k: 600 }],
    );
  });

  it('two workers inserting the same key at the same moment without the commit lock leave one row, the latest (the commit guard makes the later one conflict and re-run)', async () => {
    const dir = tempDir();
    const l = newLake();
    write(dir, 'raw/year=2020/month=01/a.ndjson', [{ id: 'k', qty: 1, ts: '2020-01-01T00:00:00' }]);
    write(dir, 'raw/year=2020/month=02/a.ndjson', [{ id: 'k', qty: 2, ts: '2020-02-01T00:00:00' }]);
    const s = spec(dir, l, { target: { commitLock: 'none' } as never });
    write(dir, 'raw/year=2020/month=03/a.ndjson', [{ id: 'z', qty: 3, ts: '2020-03-01T00:00:00' }]);
    await loadAs(loader(), s, '2020-03'); // creates the tables first
    const barrier = meetingPoint();
    const [a, b] = [loader(workerEnv(), 2000, barrier), loader(workerEnv(), 2000, barrier)];
    const results = await Promise.all([loadAs(a, s, '2020-01'), loadAs(b, s, '2020-02')]);
    assert.equal(
      results.reduce((n, r) => n + (r.conflictsRetried ?? 0), 0),
      1,
      JSON.stringify(results),
    );
    assert.deepEqual(await read(l, "SELECT id, qty, month FROM items WHERE id = 'k'"), [
      { id: 'k', qty: 2, month: 2 },
    ]);
  });

  it('with the commit lock (the default), two workers committing at once take turns: their transactions never overlap and nothing conflicts', async () => {
    const dir = tempDir();
    const l = newLake();
    const months = 6;
    writeMonths(dir, months, (mm, m, i) => ({ id: `k${i}`, qty: m, ts: `2020-${mm}-01T00:00:00` }));
    const s = spec(dir, l);
    // Each commit's time inside its transaction (after its writes, before COMMIT), stretched so
    // that two unlocked commits would overlap.
    const inside: [number, number][] = [];
    const stretch = (d: Destination): Destination => ({
      maintain: (x) => d.maintain(x),
      describe: (x) => d.describe(x),
      close: () => d.close(),
      commitMany: (x) => d.commitMany(x),
      commit: (batch, request) =>
        d.commit(batch, {
          ...request,
          beforeCommit: async () => {
            const entered = Date.now();
            await new Promise((r) => setTimeout(r, 150));
            await request.beforeCommit();
            inside.push([entered, Date.now()]);
          },
        }),
    });
    const [a, b] = [loader(workerEnv(), 2000, stretch), loader(workerEnv(), 2000, stretch)];
    const keys = Array.from({ length: months }, (_, i) => `2020-${String(i + 1).padStart(2, '0')}`);
    const results = await Promise.all(
      [a, b].map(async (w, n) => {
        const out: LoadPartitionResult[] = [];
        for (const k of keys.filter((_, i) => i % 2 === n)) out.push(await loadAs(w, s, k));
        return out;
      }),
    ).then((r) => r.flat());
    inside.sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < inside.length; i++)
      assert.ok(inside[i]![0] >= inside[i - 1]![1], `two commits overlapped: ${JSON.stringify(inside)}`);
    assert.deepEqual(
      results.map((r) => r.conflictsRetried ?? 0),
      results.map(() => 0),
    );
    // Every key holds June's version: latest wins across the two workers.
    assert.deepEqual(
      await read(
        l,
        'SELECT count(*)::INTEGER AS n, min(qty)::INTEGER AS lo, max(qty)::INTEGER AS hi FROM items',
      ),
      [{ n: 50, lo: 6, hi: 6 }],
    );
  });

  it('maintenance sorts, merges, expires snapshots past the retention and removes orphaned files', async () => {
    const dir = tempDir();
    const l = newLake();
    // More rows than DuckLake inlines into the catalog, so they go to Parquet files.
    for (const m of ['01', '02'])
      write(
        dir,
        `raw/year=2020/month=${m}/a.ndjson`,
        Array.from({ length: 300 }, (_, i) => ({ id: `k${m}-${i}`, qty: i, ts: `2020-${m}-01T00:00:00` })),
      );
    const s = spec(dir, l, { maintenance: { clusterBy: ['id'], snapshotRetention: '0s' } });
    const w = loader();
    await loadAs(w, s, '2020-01');
    await loadAs(w, s, '2020-02');
    await loadAs(w, s, '2020-02'); // a re-run: February's first files are now only in old snapshots
    // What a worker killed after writing a data file but before its commit leaves behind.
    const orphan = `${l.dataPath}main/items/year=2020/month=1/ducklake-orphan.parquet`;
    await servers.minio.putObject(BUCKET, orphan.slice(`s3://${BUCKET}/`.length), 'PAR1');
    const report = await w.maintain(s);
    process.stdout.write(`# maintenance: ${JSON.stringify(report)}\n`);
    assert.equal(report.rowCount, 600);
    assert.match(report.steps.join(), /cleanup old files: [1-9]/, "the re-run's replaced files were deleted");
    assert.equal(report.steps[0], 'sorted by id');
    assert.ok(report.steps.includes('merge adjacent files'), report.steps.join());
    const inBucket = (await servers.dataFiles(l)).sort();
    const reader = await servers.reader(l);
    const inCatalog = await catalogFiles(reader, l.dataPath).finally(() => reader.close());
    assert.ok(!inBucket.includes(orphan), 'the orphaned file was removed');
    for (const file of inBucket)
      assert.ok(inCatalog.has(file), `${file} is in the bucket but not in the catalog`);
  });

  const failure = async (promise: Promise<unknown>) => {
    const err = await promise.then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ApplicationFailure, String(err));
    return err;
  };
  /** Nothing written: the lake holds no table, or was never even created. */
  const noTable = async (l: LakeLocation) => {
    const tables = await read(l, "SELECT table_name FROM duckdb_tables() WHERE database_name = 'lake'").catch(
      (e: Error) => {
        assert.match(e.message, /Existing DuckLake at metadata catalog .* does not exist/);
        return [];
      },
    );
    assert.deepEqual(tables, []);
  };

  it('bad configuration is one non-retryable line, and nothing is written', async () => {
    const dir = tempDir();
    write(dir, 'raw/year=2020/month=01/a.ndjson', [{ id: 'a', qty: 1, ts: '2020-01-01T00:00:00' }]);
    const cases: [string, () => Promise<unknown>, RegExp][] = [];
    const wrongPassword = newLake();
    cases.push([
      'wrong password',
      () =>
        loadAs(
          loader({ ...workerEnv(), PGPASSWORD: 'not-the-password' }),
          spec(dir, wrongPassword),
          '2020-01',
        ),
      /the catalog refused the login: .*password authentication failed/,
    ]);
    const port = await freePort();
    cases.push([
      'unreachable PostgreSQL',
      () =>
        loadAs(
          loader(workerEnv(), 1000),
          spec(dir, {
            catalog: `postgres:dbname=x host=127.0.0.1 port=${port} user=x`,
            dataPath: `s3://${BUCKET}/nowhere/`,
          }),
          '2020-01',
        ),
      /the catalog database is unreachable \(waited \d+ s\): .*Connection refused/,
    ]);
    const noBucket = { ...newLake(), dataPath: 's3://no-such-bucket/x/' };
    cases.push([
      'missing bucket',
      () => loadAs(loader(), spec(dir, noBucket), '2020-01'),
      /the data path's bucket does not exist/,
    ]);
    const first = newLake();
    await loadAs(loader(), spec(dir, first), '2020-01');
    cases.push([
      'another data path',
      () => loadAs(loader(), spec(dir, { ...first, dataPath: `s3://${BUCKET}/elsewhere/` }), '2020-01'),
      /the catalog was created with another data path/,
    ]);
    for (const [what, run, message] of cases) {
      const err = await failure(run());
      process.stdout.write(`# ${what}: ${err.message}\n`);
      assert.equal(err.type, 'ConfigurationError', `${what}: ${err.message}`);
      assert.ok(NON_RETRYABLE_FAILURE_TYPES.includes(err.type), what);
      assert.match(err.message, message, what);
      assert.ok(!err.message.includes('\n'), `${what}: one line`);
      assert.ok(
        !err.message.includes(servers.pg.password) && !err.message.includes(servers.minio.secretKey),
        `${what}: no secret`,
      );
    }
    await noTable(wrongPassword);
    await noTable(noBucket);
    assert.deepEqual(await read(first, 'SELECT count(*)::INTEGER AS n FROM items'), [{ n: 1 }]);
  });

  it('a missing extension is one line that says how to install it', async () => {
    const dir = tempDir();
    write(dir, 'raw/year=2020/month=01/a.ndjson', [{ id: 'a', qty: 1, ts: '2020-01-01T00:00:00' }]);
    const l = newLake();
    const saved = process.env.BACKFILL_DUCKDB_EXTENSION_DIR;
    process.env.BACKFILL_DUCKDB_EXTENSION_DIR = tempDir('no-extensions-');
    try {
      const err = await failure(loadAs(loader(), spec(dir, l), '2020-01'));
      assert.equal(err.type, 'ConfigurationError');
      assert.match(err.message, /DuckDB extension ducklake .* is not installed in .*: run `npm run tools`/);
    } finally {
      if (saved === undefined) delete process.env.BACKFILL_DUCKDB_EXTENSION_DIR;
      else process.env.BACKFILL_DUCKDB_EXTENSION_DIR = saved;
    }
  });

  it('a table name with quotes and semicolons loads as a name; an incompatible schema change fails naming the column; a widening and a new column evolve the table', async () => {
    const dir = tempDir();
    const l = newLake();
    write(dir, 'raw/year=2020/month=01/a.ndjson', [{ id: 'a', qty: 1, ts: '2020-01-01T00:00:00' }]);
    const odd = `it"ems'; DROP TABLE x; --`;
    const s = spec(dir, l, { target: { table: odd } as never });
    await loadAs(loader(), s, '2020-01');
    assert.deepEqual(await read(l, `SELECT id FROM "${odd.replaceAll('"', '""')}"`), [{ id: 'a' }]);

    const plain = spec(dir, l);
    await loadAs(loader(), plain, '2020-01');
    const changed = parseSpec({ ...structuredClone(plain), schema: { ...plain.schema, qty: 'VARCHAR' } });
    const err = await failure(loadAs(loader(), changed, '2020-01'));
    assert.equal(err.type, 'SchemaContractError');
    assert.ok(NON_RETRYABLE_FAILURE_TYPES.includes(err.type));
    assert.match(err.message, /column "qty": target has INTEGER, the spec says VARCHAR/);
    assert.deepEqual(await read(l, 'SELECT typeof(qty) AS t FROM items'), [{ t: 'INTEGER' }]);

    // A lossless widening and a new source column go through DuckLake's ALTER TABLE.
    write(dir, 'raw/year=2020/month=02/a.ndjson', [
      { id: 'b', qty: 2, ts: '2020-02-01T00:00:00', note: 'new' },
    ]);
    const wider = parseSpec({ ...structuredClone(plain), schema: { ...plain.schema, qty: 'BIGINT' } });
    await loadAs(loader(), wider, '2020-02');
    assert.deepEqual(await read(l, 'SELECT id, typeof(qty) AS t, note FROM items ORDER BY id'), [
      { id: 'a', t: 'BIGINT', note: null },
      { id: 'b', t: 'BIGINT', note: 'new' },
    ]);
  });
});
