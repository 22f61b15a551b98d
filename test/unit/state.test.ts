import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planPartitionKeys } from '../../common/partitions';
import { emptyStats } from '../../common/types';
import { decodeState, encodeState, type BackfillState } from '../../workflows/state';

describe('continue-as-new state', () => {
  const keys = planPartitionKeys('2000-01-01', '2273-10-15', 'day'); // 100,000 days
  const state: BackfillState = {
    partitions: keys.map((key, i) => {
      if (i % 1000 === 0)
        return {
          key,
          status: 'failed',
          runs: 2,
          lastError: `boom ${i}`,
          stats: { ...emptyStats(), attempts: 3 },
        };
      if (i % 7 === 0)
        return {
          key,
          status: 'succeeded',
          runs: 1,
          stats: { ...emptyStats(), files: 2, rowsRead: i, rowsAccepted: i, attempts: 1, durationMs: 5 },
        };
      if (i % 11 === 0) return { key, status: 'pending', runs: 1, runAgain: true };
      return i < 90_000
        ? { key, status: 'empty', runs: 1, stats: { ...emptyStats(), attempts: 1, durationMs: 3 } }
        : { key, status: 'pending', runs: 0 };
    }),
    maxConcurrency: 100,
    paused: true,
    generation: 4,
    startedAt: 1_700_000_000_000,
  };

  it('round-trips statuses, runs, errors, forced retries and non-trivial stats', () => {
    const decoded = decodeState(encodeState(state, keys), keys);
    assert.equal(decoded.partitions.length, 100_000);
    assert.deepEqual(
      [decoded.maxConcurrency, decoded.paused, decoded.generation, decoded.startedAt],
      [100, true, 4, 1_700_000_000_000],
    );
    for (const i of [0, 7, 11, 13, 1000, 89_999, 95_000]) {
      const a = state.partitions[i]!;
      const b = decoded.partitions[i]!;
      assert.equal(b.key, a.key);
      assert.equal(b.status, a.status, `status of ${a.key}`);
      assert.equal(b.runs, a.runs, `runs of ${a.key}`);
      assert.equal(b.lastError, a.lastError);
      assert.equal(b.runAgain, a.runAgain);
      if (a.stats && (a.stats.files > 0 || a.status === 'failed')) assert.deepEqual(b.stats, a.stats);
    }
  });

  it('stays far below the 2 MB payload limit for 100,000 partitions', () => {
    const bytes = Buffer.byteLength(JSON.stringify(encodeState(state, keys)));
    assert.ok(bytes < 1_000_000, `${bytes} bytes`);
  });

  it('carries the keys only when they are not the planned ones', () => {
    assert.equal(encodeState(state, keys).keys, undefined);
    const other = encodeState(state, keys.slice(1));
    assert.equal(other.keys?.length, 100_000);
    assert.equal(decodeState(other, []).partitions[5]!.key, keys[5]);
  });
});
