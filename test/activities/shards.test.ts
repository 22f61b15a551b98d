/**
 * Sharded partitions through the real shard activities (real DuckDB, a real MinIO for an s3://
 * staging uri, a local shared directory otherwise): a sharded load leaves exactly the table,
 * rejects and stats of an unsharded load of the same files, on seeded messy data (replay a seed
 * with SHARDS_SEED=<seed> npm test -- activities/shards); a finished shard is never read again; a
 * failfast shard names its file and line; an unwritable staging location is one clear line.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { parseSpec, type BackfillSpec, type BackfillSpecInput } from '../../common/spec';
import type { LoadPartitionResult } from '../../common/types';
import { prng } from '../../testkit/dataset';
import { tempDir } from '../../testkit/fixtures';
import { createLoader } from '../../testkit/loader';
import { MESSY_SCHEMA, writeMessyData } from '../../testkit/messy-data';
import { startMinio, type Minio } from '../../testkit/minio-server';
import { dump } from '../../testkit/read-paths';
import { commitShards, loadSharded, planShards, stageShard } from '../../testkit/shards';

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
async function compare(spec: BackfillSpec, where: string) {
  const unsharded: BackfillSpec = {
    ...spec,
    source: { ...spec.source, shards: undefined },
    target: {
      ...spec.target,
      path: path.join(path.dirname((spec.target as { path: string }).path), 'plain.duckdb'),
    },
  } as BackfillSpec;
  for (const month of MONTHS) {
    const plan = await planShards(loader.activities, spec, month);
    assert.ok(!plan.unsharded && plan.shards >= 2, `${where} ${month}: ${JSON.stringify(plan)}`);
    const expected = await outcome(() => loader.load(unsharded, month));
    const actual = await outcome(async () => (await loadSharded(loader, spec, month)).result);
    // Which failure a failing load meets first depends on the order files are read (shard by shard,
    // or all at once): both must fail, the sharded one with the same failure or a data error
    // (a bad record under failfast, a new column under freeze) of a shard read before.
    if ('failed' in expected && 'failed' in actual && ORDER_DEPENDENT.includes(actual.failed)) continue;
    assert.deepEqual(actual, expected, `${where} ${month}: sharded and unsharded outcomes differ`);
  }
  const table = spec.target.table;
  assert.deepEqual(
    await dump(loader, (spec.target as { path: string }).path, table),
    await dump(loader, (unsharded.target as { path: string }).path, table),
    `${where}: sharded and unsharded loads leave different tables`,
  );
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
