import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeCounts, normalizeOutcomes, normalizeProgress } from '../../common/counts';
import type { PartitionOutcome } from '../../common/types';
import { applyOutcomes } from '../../workflows/child-runs';
import { decodeState, type BackfillSummary, type PartitionState } from '../../workflows/state';

/** Counts as runs recorded them before `rowsMerged` was named `rowsAccepted`. */
const oldCounts = {
  files: 2,
  filesReused: 0,
  bytes: 900,
  rowsRead: 10,
  rowsMerged: 7,
  duplicatesRemoved: 2,
  rowsRejected: 1,
  rowsWritten: 7,
  attempts: 1,
  durationMs: 40,
};

describe('counts recorded under old names', () => {
  it('an old activity result reads rowsMerged as rowsAccepted, and keeps no second name', () => {
    const result = normalizeCounts({ status: 'succeeded' as const, ...oldCounts });
    assert.equal(result.rowsAccepted, 7);
    assert.equal('rowsMerged' in result, false);
    assert.equal(result.rowsRead, result.rowsAccepted + result.duplicatesRemoved + result.rowsRejected);
  });

  it('a result under the new name is kept as is; one with neither counts zero', () => {
    const { rowsMerged: _old, ...rest } = oldCounts;
    assert.deepEqual(normalizeCounts({ ...rest, rowsAccepted: 5 }), { ...rest, rowsAccepted: 5 });
    assert.equal(normalizeCounts({ rowsRead: 0 }).rowsAccepted, 0);
  });

  it("an old child's result lands on the parent's partitions under the new name", () => {
    const batch: PartitionState[] = [
      { key: '2019-01', status: 'running', runs: 1 },
      { key: '2019-02', status: 'running', runs: 1 },
    ];
    const results = {
      '2019-01': { status: 'succeeded', ...oldCounts },
      '2019-02': { status: 'failed', error: 'SchemaError: x', attempts: 3 },
    } as unknown as Record<string, PartitionOutcome>;
    applyOutcomes(batch, results);
    assert.equal(batch[0]!.stats!.rowsAccepted, 7);
    assert.equal(batch[1]!.status, 'failed');
    assert.equal(batch[1]!.stats!.rowsAccepted, 0);
    const outcomes = normalizeOutcomes(results);
    assert.deepEqual(outcomes['2019-02'], results['2019-02'], 'a failed outcome has no counts to rename');
    assert.equal((outcomes['2019-01'] as { rowsAccepted: number }).rowsAccepted, 7);
  });

  it("an old run summary's totals and partition stats read under the new name", () => {
    const summary = {
      backfillId: 'old',
      state: 'finished',
      total: 1,
      totals: oldCounts,
      partitions: [
        { key: '2019-01', status: 'succeeded', runs: 1, stats: oldCounts },
        { key: '2019-02', status: 'skipped', runs: 1 },
      ],
    } as unknown as BackfillSummary;
    const read = normalizeProgress(summary);
    assert.equal(read.totals.rowsAccepted, 7);
    assert.equal(read.partitions![0]!.stats!.rowsAccepted, 7);
    assert.equal(read.partitions![1]!.stats, undefined);
  });

  it('a continue-as-new state carried before the rename decodes the same counts (positions, not names)', () => {
    const carried = {
      statuses: 'sp',
      runs: {},
      stats: { 0: [2, 0, 900, 10, 7, 2, 1, 7, 1, 40] },
      errors: {},
      force: [1],
      maxConcurrency: 2,
      paused: false,
      generation: 1,
      startedAt: 0,
    };
    const state = decodeState(carried, ['2019-01', '2019-02']);
    const { rowsMerged: _old, ...rest } = oldCounts;
    assert.deepEqual(state.partitions[0]!.stats, { ...rest, rowsAccepted: 7 });
    assert.equal(state.partitions[1]!.runAgain, true, 'a carried retry still runs again');
  });
});
