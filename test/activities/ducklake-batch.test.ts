/**
 * Batch commit (spec commit: batch) into a DuckLake (real PostgreSQL catalog, data on a real
 * MinIO): the batch's partitions land in one snapshot with the rows, rejects and tombstones their
 * one-by-one commits leave; a failure inside the batch's transaction leaves the lake as it was.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { parseSpec, type BackfillSpec } from '../../common/spec';
import type { Destination } from '../../loading/destinations';
import { tempDir } from '../../testkit/fixtures';
import { startLakeServers, type LakeLocation, type LakeServers } from '../../testkit/lake-servers';
import { createLoader } from '../../testkit/loader';

const KEYS = ['2020-01', '2020-02', '2020-03'];

function write(dir: string, month: string, rows: object[]) {
  const file = path.join(dir, 'raw', 'year=2020', `month=${month}`, 'a.ndjson');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

/** January's rows (one bad), February's late update and flagged delete, March's stale version of the deleted key. */
function writeMonths(dir: string) {
  write(dir, '01', [
    { id: 'a', qty: 1, ts: '2020-01-01T00:00:00' },
    { id: 'b', qty: 2, ts: '2020-01-02T00:00:00' },
    { id: 'c', qty: 3, ts: '2020-01-03T00:00:00' },
    { id: 'x', qty: 'lots', ts: '2020-01-03T00:00:00' },
  ]);
  write(dir, '02', [
    { id: 'a', qty: 10, ts: '2020-02-01T00:00:00' },
    { id: 'b', deleted: true, ts: '2020-02-02T00:00:00' },
    { id: 'd', qty: 4, ts: '2020-02-04T00:00:00' },
  ]);
  write(dir, '03', [{ id: 'b', qty: 99, ts: '2020-01-15T00:00:00' }]);
}

describe('DuckLake batch commit', () => {
  let servers: LakeServers;
  let lakes = 0;
  const failing = { on: false };
  const loaders: ReturnType<typeof createLoader>[] = [];
  before(async () => {
    servers = await startLakeServers('batchlake');
  });
  after(async () => {
    for (const l of loaders) await l.close();
    await servers?.stop();
  });
  const loader = () => {
    const l = createLoader({ memoryLimit: '512MB', threads: 1 }, undefined, {
      lake: { env: servers.lakeEnv(), connectWindowMs: 2000 },
      wrapDestination: (real): Destination => ({
        commit: (batch, request) => real.commit(batch, request),
        commitMany: (request) =>
          real.commitMany({
            ...request,
            beforeCommit: async () => {
              await request.beforeCommit();
              if (failing.on) throw new Error('injected failure inside the batch transaction');
            },
          }),
        maintain: (spec) => real.maintain(spec),
        describe: (spec) => real.describe(spec),
        close: () => real.close(),
      }),
    });
    loaders.push(l);
    return l;
  };
  const spec = (dir: string, l: LakeLocation): BackfillSpec =>
    parseSpec({
      name: 'lake-batch',
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
      },
      range: { from: KEYS[0]!, to: KEYS.at(-1)! },
      partitionsPerChild: KEYS.length,
      commit: 'batch',
    });
  const snapshot = async (l: LakeLocation) => {
    const r = await servers.reader(l);
    try {
      return {
        items: await r.query('SELECT id, qty, year, month FROM items ORDER BY id'),
        rejects: await r.query('SELECT partition_key, line, reason FROM items__rejects ORDER BY ALL'),
        tombstones: await r.query('SELECT id FROM items__tombstones ORDER BY id'),
      };
    } finally {
      r.close();
    }
  };

  it('commits the batch in one snapshot, equal to one-by-one commits; a failure in its transaction leaves the lake as it was', async () => {
    const dir = tempDir();
    writeMonths(dir);
    const w = loader();
    const one = servers.newLake(`one${++lakes}`);
    const separate: Record<string, unknown> = {};
    for (const key of KEYS) {
      const { durationMs: _d, snapshotId: _s, ...counts } = await w.load(spec(dir, one), key);
      separate[key] = counts;
    }
    const lake = servers.newLake(`batch${++lakes}`);
    const together = await w.loadBatch(spec(dir, lake), KEYS);
    const snapshots = new Set(Object.values(together).map((r) => r.snapshotId));
    assert.equal(snapshots.size, 1, JSON.stringify(together));
    assert.ok([...snapshots][0]! > 0);
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(together).map(([k, { durationMs: _d, snapshotId: _s, ...counts }]) => [k, counts]),
      ),
      separate,
    );
    const expected = await snapshot(one);
    assert.deepEqual(await snapshot(lake), expected);
    assert.deepEqual(expected.items, [
      { id: 'a', qty: 10, year: 2020, month: 2 },
      { id: 'c', qty: 3, year: 2020, month: 1 },
      { id: 'd', qty: 4, year: 2020, month: 2 },
    ]);

    // New versions of every month, committed in a transaction that then fails: none of them shows.
    write(dir, '01', [{ id: 'a', qty: 100, ts: '2020-03-30T00:00:00' }]);
    write(dir, '03', [{ id: 'e', qty: 5, ts: '2020-03-05T00:00:00' }]);
    failing.on = true;
    try {
      await assert.rejects(
        w.loadBatch(spec(dir, lake), KEYS),
        (err) => err instanceof ApplicationFailure && /injected failure/.test(err.message),
      );
    } finally {
      failing.on = false;
    }
    assert.deepEqual(await snapshot(lake), expected);
  });
});
