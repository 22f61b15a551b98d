import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planPartitionKeys } from '../../common/partitions';
import { emptyStats } from '../../common/types';
import { renderDetails } from '../../workflows/details';
import { EARLIER_STATS_LIMIT, encodeEarlier, overRuns } from '../../workflows/earlier-runs';
import { progressOf, type PartitionState } from '../../workflows/state';

const planned = planPartitionKeys('2019-01', '2020-12', 'month');
const loaded = (key: string, rowsRead: number): PartitionState => ({
  key,
  status: 'succeeded',
  runs: 1,
  stats: { ...emptyStats(), files: 1, rowsRead, rowsAccepted: rowsRead, attempts: 1, durationMs: 10 },
});

/** The first run: every partition loaded 100 rows but 2019-05, which failed. */
const firstRun = planned.map((key) =>
  key === '2019-05'
    ? {
        key,
        status: 'failed' as const,
        runs: 1,
        lastError: 'SchemaError: x',
        stats: { ...emptyStats(), attempts: 3 },
      }
    : loaded(key, 100),
);

describe("the parent's details over a backfill's runs", () => {
  it('a retry of one partition shows every partition done, with totals over both runs', () => {
    const earlier = encodeEarlier(firstRun, planned, 1, ['2019-05']);
    assert.equal(earlier.statuses, 'ssssfsssssssssssssssssss');
    // The new run skips what succeeded and loads 2019-05 again.
    const now: PartitionState[] = planned.map((key) =>
      key === '2019-05' ? loaded(key, 40) : { key, status: 'skipped', runs: 1 },
    );
    const over = overRuns(now, planned, earlier);
    assert.equal(over.runs, 2);
    assert.equal(over.counts.succeeded, 24);
    assert.equal(over.counts.skipped, 0);
    assert.equal(over.counts.failed, 0);
    assert.equal(over.totals.rowsRead, 23 * 100 + 40);
    assert.equal(over.totals.attempts, 24, "the failed run's attempts no longer count");
    assert.deepEqual(over.failed, []);
    assert.equal(over.approximate, false);

    const details = renderDetails(
      {
        ...progressOf(
          { partitions: now, maxConcurrency: 2, paused: false, generation: 0, startedAt: 0 },
          { backfillId: 'b', phase: 'running' },
          {},
        ),
      },
      1000,
      over,
    );
    assert.match(details, /\*\*24 \/ 24\*\* partitions done over 2 runs/);
    assert.match(details, /\| 24 \| 0 \| 0 \| 0 \| 0 \| 2340 \| 2340 \|/);
  });

  it('while the new run has not reached a partition, or cancelled it before it started, the earlier outcome stands', () => {
    const earlier = encodeEarlier(firstRun, planned, 1);
    const now: PartitionState[] = planned.map((key, i) =>
      i === 0 ? { key, status: 'cancelled', runs: 0 } : { key, status: 'pending', runs: 0 },
    );
    const over = overRuns(now, planned, earlier);
    assert.equal(over.counts.succeeded, 23);
    assert.equal(over.counts.failed, 1);
    assert.equal(over.counts.pending, 0);
    assert.equal(over.totals.rowsRead, 2300);
    assert.deepEqual(
      over.failed.map((p) => [p.key, p.lastError]),
      [['2019-05', 'SchemaError: x']],
    );
  });

  it('stays bounded for 10,000 partitions: stats for the partitions to retry first, and totals say when they are an estimate', () => {
    const keys = planPartitionKeys('2000-01-01', '2027-05-18', 'day').slice(0, 10_000);
    const all = keys.map((key) => loaded(key, 10));
    const earlier = encodeEarlier(all, keys, 1, [keys[9_999]!]);
    assert.equal(Object.keys(earlier.stats).length, EARLIER_STATS_LIMIT);
    assert.ok(earlier.stats[9_999], 'the partition asked for again keeps its stats');
    assert.ok(JSON.stringify(earlier).length < 200_000, `${JSON.stringify(earlier).length} bytes`);
    const retried = keys.map((key, i): PartitionState =>
      i === 9_999 ? loaded(key, 5) : { key, status: 'skipped', runs: 1 },
    );
    const exact = overRuns(retried, keys, earlier);
    assert.equal(exact.totals.rowsRead, 9_999 * 10 + 5);
    assert.equal(exact.approximate, false);
    const reloaded = keys.map((key) => loaded(key, 5));
    assert.equal(overRuns(reloaded, keys, earlier).approximate, true);
  });
});
