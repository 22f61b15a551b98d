/**
 * Spec checks on the DuckLake destination (real PostgreSQL catalog, data on a real MinIO): drops
 * land in the lake's rejects table, a failed check leaves the lake without a new snapshot, relative
 * row counts read the lake's other partitions inside the commit's transaction, and a batch commit
 * with a failing partition writes nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseSpec, type BackfillSpec, type BackfillSpecInput } from '../../common/spec';
import type { CheckOutcome } from '../../common/types';
import { applicationFailureOf } from '../../testkit/failures';
import { tempDir } from '../../testkit/fixtures';
import { startLakeServers, type LakeLocation, type LakeServers } from '../../testkit/lake-servers';
import { createLoader, type Loader } from '../../testkit/loader';

function writeMonth(dir: string, mm: string, rows: object[]) {
  const where = path.join(dir, 'raw', 'year=2020', `month=${mm}`);
  mkdirSync(where, { recursive: true });
  writeFileSync(path.join(where, 'a.ndjson'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

const rowsOf = (mm: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `${mm}-${i}`, qty: i, region: i % 2 ? 'EU' : 'US' }));

const byName = (r: { checks?: CheckOutcome[] }) =>
  Object.fromEntries((r.checks ?? []).map((o) => [o.name, o]));

describe('checks on a DuckLake', () => {
  let servers: LakeServers;
  let loader: Loader;
  let lakes = 0;
  before(async () => {
    servers = await startLakeServers('checks');
    loader = createLoader({ memoryLimit: '512MB', threads: 1 }, undefined, {
      lake: { env: servers.lakeEnv(), connectWindowMs: 2000 },
    });
  });
  after(async () => {
    await loader?.close();
    await servers?.stop();
  });

  const specOf = (
    dir: string,
    l: LakeLocation,
    checks: BackfillSpecInput['checks'],
    more: Partial<BackfillSpecInput> = {},
  ): BackfillSpec =>
    parseSpec({
      name: 'lake-checks',
      source: { uri: path.join(dir, 'raw'), endpoint: servers.minio.endpoint },
      schema: { id: 'VARCHAR', qty: 'INTEGER', region: 'VARCHAR' },
      target: {
        type: 'ducklake',
        catalog: l.catalog,
        dataPath: l.dataPath,
        table: 'items',
        partitionColumns: ['year', 'month'],
        keyColumns: ['id'],
      },
      range: { from: '2020-01', to: '2020-12' },
      checks,
      ...more,
    });
  const snapshots = async (l: LakeLocation) =>
    (await servers.read<{ n: number }>(l, 'SELECT count(*)::INTEGER AS n FROM lake.snapshots()'))[0]!.n;

  it('drop, warn and fail; relative row counts in the lake transaction', async () => {
    const dir = tempDir();
    const l = servers.newLake(`lake${++lakes}`);
    const jan = rowsOf('01', 10);
    jan[0]!.region = 'XX';
    jan[1]!.qty = -1;
    writeMonth(dir, '01', jan);
    writeMonth(dir, '02', rowsOf('02', 12));
    writeMonth(dir, '03', rowsOf('03', 2));
    const spec = specOf(dir, l, [
      { name: 'region_known', acceptedValues: { column: 'region', values: ['EU', 'US'] }, action: 'drop' },
      { name: 'non_negative', expression: 'qty >= 0', action: 'warn' },
      { name: 'volume', rowCount: { relativeMin: 0.5 } },
    ]);
    const first = await loader.load(spec, '2020-01');
    assert.equal(byName(first).region_known!.outcome, 'dropped');
    assert.equal(byName(first).non_negative!.outcome, 'warned');
    assert.equal(first.rowsAccepted, 9);
    assert.equal(first.rowsRead, first.rowsAccepted + first.duplicatesRemoved + first.rowsRejected);
    assert.deepEqual(await servers.read(l, 'SELECT partition_key, reason FROM items__rejects'), [
      { partition_key: '2020-01', reason: 'check region_known' },
    ]);
    const second = await loader.load(spec, '2020-02');
    assert.equal(byName(second).volume!.observed, 12 / 9);
    const before = await snapshots(l);
    const failure = await applicationFailureOf(() => loader.load(spec, '2020-03'));
    assert.equal(failure.type, 'CheckFailedError');
    assert.match(failure.message, /^check "volume" failed: row count 2 is 0\.19x the median 10\.5/);
    assert.equal(await snapshots(l), before, 'no snapshot for the failed partition');
    assert.deepEqual(
      await servers.read(l, 'SELECT month, count(*)::INTEGER AS n FROM items GROUP BY month ORDER BY month'),
      [
        { month: 1, n: 9 },
        { month: 2, n: 12 },
      ],
    );
  });

  it('a batch commit with a failing partition writes nothing to the lake', async () => {
    const dir = tempDir();
    const l = servers.newLake(`lake${++lakes}`);
    writeMonth(dir, '01', rowsOf('01', 5));
    const feb = rowsOf('02', 5);
    feb[2]!.qty = -5;
    writeMonth(dir, '02', feb);
    const spec = specOf(dir, l, [{ name: 'non_negative', expression: 'qty >= 0' }], {
      commit: 'batch',
      partitionsPerChild: 2,
    });
    const failure = await applicationFailureOf(() => loader.loadBatch(spec, ['2020-01', '2020-02']));
    assert.match(
      failure.message,
      /^partition 2020-02: check "non_negative" failed: 1 of 5 rows violate qty >= 0 \(sample: /,
    );
    const tables = await servers.read<{ n: number }>(
      l,
      "SELECT count(*)::INTEGER AS n FROM duckdb_tables() WHERE table_name = 'items'",
    );
    assert.equal(tables[0]!.n, 0);
  });
});
