/**
 * Sharded partitions through the real shard activities (real DuckDB, a real MinIO for an s3://
 * staging uri, a local shared directory otherwise): a sharded load leaves exactly the table,
 * rejects and stats of an unsharded load of the same files, on seeded messy data (replay a seed
 * with SHARDS_SEED=<seed> npm test -- activities/shards); a finished shard is never read again; a
 * failfast shard names its file and line; an unwritable staging location is one clear line.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ActivityMetrics } from '../../activities/deps';
import { parseSpec, type BackfillSpec, type BackfillSpecInput } from '../../common/spec';
import type { LoadPartitionResult, StageShardResult } from '../../common/types';
import { prng } from '../../testkit/dataset';
import { tempDir } from '../../testkit/fixtures';
import { createLoader, type Loader } from '../../testkit/loader';
import { MESSY_SCHEMA, writeMessyData } from '../../testkit/messy-data';
import { startLakeServers, type LakeServers } from '../../testkit/lake-servers';
import { dump } from '../../testkit/read-paths';
import { commitShards, loadSharded, planShards } from '../../testkit/shards';

const loader = createLoader();
after(() => loader.close());

const fresh = Math.floor(Math.random() * 2 ** 31);
const seeds = process.env.SHARDS_SEED ? [Number(process.env.SHARDS_SEED)] : [11, 12, 13, 14, fresh];
const MONTHS = ['2021-01', '2021-02'];

const ORDER_DEPENDENT = ['BadRecordError', 'SchemaContractError'];

type Outcome = { ok: Omit<LoadPartitionResult, 'durationMs' | 'shards'> } | { failed: string };

async function outcome(load: () => Promise<LoadPartitionResult | undefined>): Promise<Outcome> {
  try {
    const { durationMs: _d, shards: _s, ...rest } = (await load())!;
    return { ok: rest };
  } catch (err) {
    return { failed: (err as { type?: string }).type ?? (err as Error).name };
  }
}

function messySpec(
  dir: string,
  seed: number,
  staging: string,
  target: string,
  extra: Partial<BackfillSpecInput> = {},
) {
  const random = prng(seed ^ 0x5aa4d);
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
  return parseSpec({
    name: `shards-${seed}`,
    source: {
      uri: path.join(dir, 'raw'),
      shards: { maxFiles: pick([1, 2, 3]), maxBytes: pick([2000, 1e9]), minPartitionBytes: 0 },
    },
    staging: { uri: staging },
    schema: MESSY_SCHEMA,
    target: {
      path: target,
      table: 'items',
      partitionColumns: ['year', 'month'],
      keyColumns: ['id'],
      orderingColumn: pick(['ts', undefined]),
      writeMode: pick(['merge', 'merge', 'overwrite']),
    },
    range: { from: MONTHS[0]!, to: MONTHS.at(-1)! },
    readMode: pick(['permissive', 'permissive', 'dropmalformed', 'failfast']),
    schemaContract: pick(['evolve', 'evolve', 'discard', 'freeze']),
    timestampOffsets: pick(['convert', 'reject']),
    ...extra,
  });
}

/** Loads every month sharded into one target and unsharded into another; both must agree. */
/** Returns the months the sharded load committed. */
async function compare(spec: BackfillSpec, where: string, l: Loader = loader): Promise<string[]> {
  const committed: string[] = [];
  const unsharded: BackfillSpec = {
    ...spec,
    source: { ...spec.source, shards: undefined },
    target: {
      ...spec.target,
      path: path.join(path.dirname((spec.target as { path: string }).path), 'plain.duckdb'),
    },
  } as BackfillSpec;
  for (const month of MONTHS) {
    const plan = await planShards(l.activities, spec, month);
    assert.ok(!plan.unsharded && plan.shards >= 2, `${where} ${month}: ${JSON.stringify(plan)}`);
    const expected = await outcome(() => l.load(unsharded, month));
    const actual = await outcome(async () => (await loadSharded(l, spec, month)).result);
    if ('ok' in actual) committed.push(month);
    // Which failure a failing load meets first depends on the order files are read (shard by shard,
    // or all at once): both must fail, the sharded one with the same failure or a data error
    // (a bad record under failfast, a new column under freeze) of a shard read before.
    if ('failed' in expected && 'failed' in actual && ORDER_DEPENDENT.includes(actual.failed)) continue;
    assert.deepEqual(actual, expected, `${where} ${month}: sharded and unsharded outcomes differ`);
  }
  const table = spec.target.table;
  assert.deepEqual(
    await dump(l, (spec.target as { path: string }).path, table),
    await dump(l, (unsharded.target as { path: string }).path, table),
    `${where}: sharded and unsharded loads leave different tables`,
  );
  return committed;
}

describe('a sharded load equals an unsharded one on messy data', () => {
  for (const seed of seeds) {
    it(`seed ${seed} (local staging directory)`, async () => {
      const dir = tempDir();
      await writeMessyData({
        dir,
        seed,
        months: MONTHS,
        filesPerMonth: 7,
        recordsPerFile: 30,
        dirtyFileRate: 0.4,
        dirtyRecordRate: 0.1,
        mixedFormats: true,
      });
      const spec = messySpec(dir, seed, path.join(dir, 'staging'), path.join(dir, 'sharded.duckdb'));
      await compare(spec, `seed ${seed} (replay: SHARDS_SEED=${seed} npm test -- activities/shards)`);
    });
  }
});

/** Metrics that count the files read (each way), so a test sees a shard was not read again. */
function fileCounter(): { metrics: ActivityMetrics; reads: () => number } {
  let reads = 0;
  const none = () => undefined;
  return {
    reads: () => reads,
    metrics: {
      fileStaged: () => void reads++,
      merged: none,
      partitionStarted: none,
      partitionLoaded: none,
      partitionFailed: none,
      partitionCancelled: none,
      s3Error: none,
    },
  };
}

const write = (dir: string, rel: string, lines: string[]) => {
  const file = path.join(dir, 'raw', rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
  return file;
};

const rec = (id: string, qty: unknown, ts = '2020-01-01T00:00:00') => JSON.stringify({ id, qty, ts });

const simpleSpec = (dir: string, extra: Partial<BackfillSpecInput> = {}) =>
  parseSpec({
    name: 'simple',
    source: { uri: path.join(dir, 'raw'), shards: { maxFiles: 1, minPartitionBytes: 0 } },
    staging: { uri: path.join(dir, 'staging') },
    schema: { id: 'VARCHAR', qty: 'INTEGER', ts: 'TIMESTAMP' },
    target: {
      path: path.join(dir, 't.duckdb'),
      table: 'items',
      partitionColumns: ['year', 'month'],
      keyColumns: ['id'],
      orderingColumn: 'ts',
    },
    range: { from: '2020-01', to: '2020-01' },
    ...extra,
  });

/** Three files of January 2020, one shard each; keys repeat across them (latest ts wins). */
function threeFiles(dir: string) {
  write(dir, 'year=2020/month=01/a.ndjson', [rec('a', 1), rec('b', 1), rec('c', 'x')]);
  write(dir, 'year=2020/month=01/b.ndjson', [rec('a', 2, '2020-01-02T00:00:00'), rec('d', 1)]);
  return write(dir, 'year=2020/month=01/c.ndjson', [rec('b', 3, '2019-12-31T00:00:00'), rec('e', 1)]);
}

const stage = (
  l: Loader,
  spec: BackfillSpec,
  planId: string,
  shard: number,
  attempt = 1,
): Promise<StageShardResult> =>
  new MockActivityEnvironment({ attempt }).run(l.activities.stageShard, {
    spec,
    partitionKey: '2020-01',
    backfillId: spec.name,
    planId,
    shard,
  });

describe('resume: a finished shard is never read again', () => {
  it('a retried shard of the same attempt is reused; a new attempt reuses the finished shards whose files did not change', async () => {
    const dir = tempDir();
    const last = threeFiles(dir);
    const counter = fileCounter();
    const l = createLoader(undefined, undefined, { metrics: counter.metrics });
    try {
      const spec = simpleSpec(dir);
      const first = await planShards(l.activities, spec, '2020-01', 'attempt-1');
      assert.ok(!first.unsharded && first.shards === 3, JSON.stringify(first));
      const s0 = await stage(l, spec, 'attempt-1', 0);
      const s1 = await stage(l, spec, 'attempt-1', 1);
      assert.deepEqual([s0.reused, s1.reused, counter.reads()], [false, false, 2]);
      // The worker died after staging shard 1, before Temporal heard: the retry finds it finished.
      const again = await stage(l, spec, 'attempt-1', 1, 2);
      assert.deepEqual([again.reused, again.rowsRead, counter.reads()], [true, s1.rowsRead, 2]);

      // The partition is retried (a new child run, a new plan) after c.ndjson changed.
      utimesSync(last, new Date(), new Date(Date.now() + 5000));
      const second = await planShards(l.activities, spec, '2020-01', 'attempt-2');
      assert.ok(!second.unsharded);
      const shards = [];
      for (let i = 0; i < 3; i++) shards.push(await stage(l, spec, 'attempt-2', i));
      assert.deepEqual(
        shards.map((s) => s.reused),
        [true, true, false],
      );
      assert.equal(counter.reads(), 3, 'only the changed file is read again');
      const result = await commitShards(l.activities, spec, '2020-01', second, shards);
      assert.deepEqual(
        [
          result.rowsRead,
          result.rowsAccepted,
          result.duplicatesRemoved,
          result.rowsRejected,
          result.filesReused,
        ],
        [7, 4, 2, 1, 2],
      );
      const rows = await l.query<{ id: string; qty: number }>(
        spec.target.type === 'duckdb' ? spec.target.path : '',
        'SELECT id, qty FROM items ORDER BY id',
      );
      assert.deepEqual(
        rows.map((r) => `${r.id}${r.qty}`),
        ['a2', 'b1', 'd1', 'e1'],
      );
    } finally {
      await l.close();
    }
  });
});

describe('bad input', () => {
  it('a shard under failfast fails non-retryably, naming the file and line', async () => {
    const dir = tempDir();
    threeFiles(dir);
    const spec = simpleSpec(dir, { readMode: 'failfast' });
    const plan = await planShards(loader.activities, spec, '2020-01', 'ff');
    assert.ok(!plan.unsharded);
    await stage(loader, spec, 'ff', 1);
    await assert.rejects(stage(loader, spec, 'ff', 0), (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure, String(err));
      assert.equal(err.type, 'BadRecordError');
      assert.match(err.message, /bad record in year=2020\/month=01\/a\.ndjson line 3: column "qty"/);
      return true;
    });
  });

  it('a staging location that cannot be written is one clear line', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'a-file'), '');
    const spec = simpleSpec(dir, { staging: { uri: path.join(dir, 'a-file', 'staging') } });
    await assert.rejects(
      new MockActivityEnvironment().run(loader.activities.probeStaging, { spec }),
      (err: unknown) => {
        assert.ok(err instanceof ApplicationFailure);
        assert.equal(err.type, 'ConfigurationError');
        assert.match(err.message, /^staging\.uri \/.*a-file\/staging is not writable: ENOTDIR/);
        assert.ok(!err.message.includes('\n'), err.message);
        return true;
      },
    );
  });
});

describe('S3 staging (MinIO) and a DuckLake commit from shards', () => {
  let servers: LakeServers;
  let lakeLoader: Loader;
  const saved = { ...process.env };
  before(async () => {
    servers = await startLakeServers('shards');
    // The staging location takes the worker's credentials from the AWS chain (here: the environment).
    Object.assign(process.env, servers.lakeEnv());
    lakeLoader = createLoader({ memoryLimit: '512MB', threads: 1 }, undefined, {
      lake: { env: servers.lakeEnv(), connectWindowMs: 2000 },
    });
  });
  after(async () => {
    await lakeLoader?.close();
    await servers?.stop();
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'PGPASSWORD'])
      if (saved[k] === undefined) delete process.env[k];
  });
  const s3Staging = (name: string) => ({
    uri: `s3://shards/${name}/`,
    endpoint: servers.minio.endpoint,
    forcePathStyle: true,
  });

  for (const seed of seeds.slice(0, 2)) {
    it(`seed ${seed}: sharded through an s3:// staging uri equals unsharded`, async () => {
      const dir = tempDir();
      await writeMessyData({
        dir,
        seed,
        months: MONTHS,
        filesPerMonth: 6,
        recordsPerFile: 30,
        dirtyFileRate: 0.4,
        dirtyRecordRate: 0.1,
        mixedFormats: true,
      });
      const spec = messySpec(dir, seed, '/unused', path.join(dir, 'sharded.duckdb'), {});
      spec.staging = s3Staging(`seed-${seed}`);
      const committed = await compare(spec, `s3 seed ${seed}`, lakeLoader);
      // A committed month's staged objects are gone, of every attempt (a failed one's stay for a retry).
      for (const month of committed) {
        const left = await servers.minio.client.send(
          new ListObjectsV2Command({ Bucket: 'shards', Prefix: `seed-${seed}/${spec.name}/${month}/` }),
        );
        assert.deepEqual(
          (left.Contents ?? []).map((o) => o.Key),
          [],
          `${month} after its commit`,
        );
      }
    });
  }

  it('an unreachable S3 staging location is one clear line', async () => {
    const dir = tempDir();
    const spec = simpleSpec(dir, {
      staging: { uri: 's3://no-such-bucket/x/', endpoint: servers.minio.endpoint, forcePathStyle: true },
    });
    await assert.rejects(
      new MockActivityEnvironment().run(lakeLoader.activities.probeStaging, { spec }),
      (err: unknown) => {
        assert.ok(err instanceof ApplicationFailure);
        assert.match(err.message, /^staging\.uri s3:\/\/no-such-bucket\/x\/ is not writable: .*NoSuchBucket/);
        assert.ok(!err.message.includes('\n'));
        assert.ok(!err.message.includes(servers.minio.secretKey));
        return true;
      },
    );
  });

  it('commits a sharded partition into a DuckLake in one snapshot, equal to an unsharded load', async () => {
    const dir = tempDir();
    threeFiles(dir);
    const rows: Record<string, string[]> = {};
    for (const [name, sharded] of [
      ['lake-sharded', true],
      ['lake-plain', false],
    ] as const) {
      const lake = servers.newLake(name);
      const spec = simpleSpec(dir, {
        name,
        source: {
          uri: path.join(dir, 'raw'),
          endpoint: servers.minio.endpoint,
          ...(sharded ? { shards: { maxFiles: 1, minPartitionBytes: 0 } } : {}),
        },
        staging: s3Staging(name),
        target: {
          type: 'ducklake',
          ...lake,
          table: 'items',
          partitionColumns: ['year', 'month'],
          keyColumns: ['id'],
          orderingColumn: 'ts',
        },
      });
      const load = sharded ? await loadSharded(lakeLoader, spec, '2020-01') : undefined;
      const result = load?.result ?? (await lakeLoader.load(spec, '2020-01'));
      if (sharded) assert.ok(load && !load.plan.unsharded && load.plan.shards === 3);
      assert.equal(typeof result.snapshotId, 'number');
      const read = async (sql: string) =>
        (await servers.read<Record<string, unknown>>(lake, sql)).map((r) => JSON.stringify(r));
      rows[name] = [
        ...(await read('SELECT id, qty, ts, year, month, _source_file FROM items ORDER BY id')),
        ...(await read('SELECT source_file, line, raw, reason FROM items__rejects ORDER BY 1, 2')),
      ];
    }
    assert.deepEqual(rows['lake-sharded'], rows['lake-plain']);
    assert.equal(rows['lake-plain']!.length, 5);
  });
});
