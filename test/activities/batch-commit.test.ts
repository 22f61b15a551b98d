/**
 * Batch commit (spec commit: batch) through the real loadBatch activity and a real DuckDB file: a
 * batch of partitions read in one scan and committed in one transaction leaves the same target
 * rows, rejects, tombstones and per-partition counts as the same partitions loaded one by one
 * (seeded messy data, testkit/messy-data.ts, read and write modes varied by seed); and it is all or
 * nothing: a bad record under failfast, a failure inside the transaction or a cancellation held
 * before COMMIT leaves the target exactly as it was.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { parseSpec, type BackfillSpec, type BackfillSpecInput } from '../../common/spec';
import type { LoadPartitionResult } from '../../common/types';
import type { Destination } from '../../loading/destinations';
import { prng } from '../../testkit/dataset';
import { tempDir } from '../../testkit/fixtures';
import { createLoader } from '../../testkit/loader';
import { MESSY_SCHEMA, writeMessyData } from '../../testkit/messy-data';
import { dump } from '../../testkit/read-paths';

const MONTHS = ['2021-01', '2021-02', '2021-03'];
/** The batch also holds a month without files: it stays empty. */
const KEYS = [...MONTHS, '2021-04'];

/** Commits that fail (inside the transaction, after every partition's writes) while `failing.on`. */
const failing = { on: false };
let held: { reached: () => void; release?: Promise<void> } | undefined;
const loader = createLoader(undefined, undefined, {
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
  faults: {
    holdBeforeCommit: (key) => {
      if (!held || key !== '2021-02') return undefined;
      held.reached();
      return held.release;
    },
  },
});
after(() => loader.close());

type Modes = Partial<Pick<BackfillSpecInput, 'readMode' | 'schemaContract'>> & {
  writeMode?: 'merge' | 'overwrite';
};

function messySpec(dir: string, target: string, { writeMode = 'merge', ...modes }: Modes = {}): BackfillSpec {
  return parseSpec({
    name: 'batch-commit',
    source: { uri: path.join(dir, 'raw') },
    schema: MESSY_SCHEMA,
    target: {
      path: path.join(dir, target),
      table: 'items',
      partitionColumns: ['year', 'month'],
      keyColumns: ['id'],
      orderingColumn: 'ts',
      writeMode,
    },
    range: { from: KEYS[0]!, to: KEYS.at(-1)! },
    partitionsPerChild: KEYS.length,
    commit: 'batch',
    ...modes,
  });
}

const counts = ({ durationMs: _d, ...rest }: LoadPartitionResult) => rest;

/**
 * The tables with each row's columns in name order: under schema contract evolve a batch creates
 * the table with a new column in place, where one-by-one loads add it at the end later.
 */
async function tables(file: string) {
  const dumped = await dump(loader, file, 'items');
  const byName = (row: string) =>
    JSON.stringify(
      Object.fromEntries(Object.entries(JSON.parse(row) as object).sort(([a], [b]) => (a < b ? -1 : 1))),
    );
  return Object.fromEntries(Object.entries(dumped).map(([t, rows]) => [t, rows.map(byName).sort()]));
}

/** The failure's type and message, or undefined when it succeeded. */
const failureOf = async (load: () => Promise<unknown>) => {
  try {
    await load();
    return undefined;
  } catch (err) {
    assert.ok(err instanceof ApplicationFailure, String(err));
    return { type: err.type, message: err.message };
  }
};

describe('a batch commit equals the same partitions loaded one by one', () => {
  let compared = 0;
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`seed ${seed}`, async () => {
      const dir = tempDir();
      await writeMessyData({
        dir,
        seed,
        months: MONTHS,
        filesPerMonth: 3,
        recordsPerFile: 40,
        dirtyFileRate: 1 / 3,
        dirtyRecordRate: 0.1,
        mixedFormats: true,
      });
      const random = prng(seed ^ 0xba7c4);
      const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
      const modes: Modes = {
        readMode: pick(['permissive', 'permissive', 'dropmalformed'] as const),
        schemaContract: pick(['evolve', 'discard'] as const),
        writeMode: pick(['merge', 'overwrite'] as const),
      };
      const one = messySpec(dir, 'one.duckdb', modes);
      const batch = messySpec(dir, 'batch.duckdb', modes);
      const separate: Record<string, unknown> = {};
      let failed: Awaited<ReturnType<typeof failureOf>>;
      for (const key of KEYS) {
        const failure = await failureOf(async () => (separate[key] = counts(await loader.load(one, key))));
        failed ??= failure;
      }
      const where = `seed ${seed} ${JSON.stringify(modes)}`;
      if (failed) {
        // A partition that fails on its own fails the batch, with the same error, and nothing is written.
        const failure = await failureOf(() => loader.loadBatch(batch, KEYS));
        const same = (f?: { message: string }) => f?.message.replace(/backfill-attempt-[^/\s]+/g, '*');
        assert.equal(failure?.type, failed.type, where);
        assert.equal(same(failure), same(failed), where);
        assert.deepEqual(await tables(path.join(dir, 'batch.duckdb')), {}, where);
        return;
      }
      const together = await loader.loadBatch(batch, KEYS);
      assert.deepEqual(Object.keys(together), KEYS);
      assert.deepEqual(
        Object.fromEntries(Object.entries(together).map(([k, r]) => [k, counts(r)])),
        separate,
        `${where}: per-partition counts`,
      );
      assert.equal(together['2021-04']!.status, 'empty');
      assert.ok(together['2021-01']!.rowsWritten > 0);
      assert.deepEqual(
        await tables(path.join(dir, 'batch.duckdb')),
        await tables(path.join(dir, 'one.duckdb')),
        `${where}: target, rejects and tombstones`,
      );
      compared++;
    });
  }

  it('compared successful batches, not only failures', () => assert.ok(compared >= 3, `${compared}`));
});

describe('a batch commit is all or nothing', () => {
  const rec = (id: string, n: unknown, ts: string) => JSON.stringify({ id, n, ts });
  /** Three months of one file each, then the target loaded from them (merge), as a baseline. */
  async function loaded(extra: Modes = {}) {
    const dir = tempDir();
    await writeMessyData({
      dir,
      seed: 7,
      months: MONTHS,
      filesPerMonth: 2,
      recordsPerFile: 20,
      dirtyFileRate: 0,
      dirtyRecordRate: 0,
    });
    const spec = messySpec(dir, 't.duckdb', extra);
    await loader.loadBatch(spec, KEYS);
    const before = await dump(loader, path.join(dir, 't.duckdb'), 'items');
    assert.ok((before.items?.length ?? 0) > 0);
    // New versions of every month, so a partial commit would show.
    for (const [m, month] of MONTHS.entries()) {
      const [y, mm] = month.split('-');
      writeFileSync(
        path.join(dir, 'raw', `year=${y}`, `month=${mm}`, 'z-late.ndjson'),
        `${rec(`new-${m}`, m, `${month}-28T00:00:00`)}\n`,
      );
    }
    return { dir, spec, before };
  }

  it('a bad record under failfast in one partition: no partition is written, the error names it', async () => {
    const { dir, spec, before } = await loaded({ readMode: 'failfast' });
    writeFileSync(
      path.join(dir, 'raw', 'year=2021', 'month=03', 'bad.ndjson'),
      `${rec('bad', 'not a number', '2021-03-02T00:00:00')}\n`,
    );
    const failure = await failureOf(() => loader.loadBatch(spec, KEYS));
    assert.equal(failure?.type, 'BadRecordError');
    assert.match(failure.message, /^bad record in year=2021\/month=03\/bad\.ndjson line 1: column "n"/);
    assert.deepEqual(await dump(loader, path.join(dir, 't.duckdb'), 'items'), before);
  });

  it('a failure inside the transaction after every partition was written rolls them all back', async () => {
    const { dir, spec, before } = await loaded();
    failing.on = true;
    try {
      const failure = await failureOf(() => loader.loadBatch(spec, KEYS));
      assert.equal(failure?.type, 'TargetWriteError');
      assert.match(failure.message, /injected failure inside the batch transaction/);
    } finally {
      failing.on = false;
    }
    assert.deepEqual(await dump(loader, path.join(dir, 't.duckdb'), 'items'), before);
    // The same batch commits once nothing fails: every month's late row is there.
    await loader.loadBatch(spec, KEYS);
    const after = await dump(loader, path.join(dir, 't.duckdb'), 'items');
    for (const m of [0, 1, 2])
      assert.ok(
        after.items!.some((r) => r.includes(`"new-${m}"`)),
        `new-${m}`,
      );
  });

  it('cancelled while its commit is held (one partition held holds the batch): rolled back, nothing written', async () => {
    const { dir, spec, before } = await loaded();
    let reached!: () => void;
    const atCommit = new Promise<void>((resolve) => (reached = resolve));
    held = { reached, release: new Promise<void>(() => undefined) };
    try {
      const env = new MockActivityEnvironment({ attempt: 1 });
      const load = loader.loadBatch(spec, KEYS, env);
      await atCommit;
      env.cancel();
      await assert.rejects(load, (err) => err instanceof CancelledFailure);
    } finally {
      held = undefined;
    }
    assert.deepEqual(await dump(loader, path.join(dir, 't.duckdb'), 'items'), before);
  });
});
