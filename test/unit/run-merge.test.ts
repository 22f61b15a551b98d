import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { emptyStats } from '../../common/types';
import type { PartitionState } from '../../workflows/state';
import { mergeRuns, partitionsFromChildren, runsOf, tally, type BackfillRun } from '../../client/run-merge';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
const run = (n: number, ...runIds: string[]): BackfillRun => ({
  run: n,
  runIds,
  status: 'COMPLETED',
  startTime: at(n),
});
const loaded = (key: string, rowsRead: number): PartitionState => ({
  key,
  status: 'succeeded',
  runs: 1,
  stats: { ...emptyStats(), rowsRead, attempts: 1, durationMs: 10 },
});

describe('a backfill across its runs', () => {
  it('numbers runs by start time; continued-as-new executions belong to the run they lead to', () => {
    const runs = runsOf([
      { runId: 'c', status: 'COMPLETED', startTime: at(3) },
      { runId: 'a', status: 'CONTINUED_AS_NEW', startTime: at(1) },
      { runId: 'b', status: 'COMPLETED', startTime: at(2) },
      { runId: 'd', status: 'CONTINUED_AS_NEW', startTime: at(4) },
      { runId: 'e', status: 'RUNNING', startTime: at(5) },
    ]);
    assert.deepEqual(
      runs.map((r) => [r.run, r.runIds, r.status]),
      [
        [1, ['a', 'b'], 'COMPLETED'],
        [2, ['c'], 'COMPLETED'],
        [3, ['d', 'e'], 'RUNNING'],
      ],
    );
    assert.deepEqual(runs[0]!.startTime, at(1));
  });

  it('a later skip never hides an earlier load: each partition keeps its latest real outcome and its run', () => {
    const merged = mergeRuns([
      {
        run: run(1, 'r1'),
        partitions: [
          loaded('2019-01', 10),
          { key: '2019-02', status: 'failed', runs: 1, lastError: 'boom' },
          { key: '2019-03', status: 'cancelled', runs: 0 },
        ],
      },
      {
        run: run(2, 'r2a', 'r2'),
        partitions: [
          { key: '2019-01', status: 'skipped', runs: 0, lastError: 'a closed run exists' },
          loaded('2019-02', 20),
          { key: '2019-03', status: 'pending', runs: 0 },
        ],
      },
    ]);
    assert.deepEqual(
      merged.map((p) => [p.key, p.status, p.stats?.rowsRead, p.run, p.runId]),
      [
        ['2019-01', 'succeeded', 10, 1, 'r1'],
        ['2019-02', 'succeeded', 20, 2, 'r2'],
        ['2019-03', 'cancelled', undefined, 1, 'r1'],
      ],
    );
    const { total, counts, totals } = tally(merged);
    assert.equal(total, 3);
    assert.equal(counts.succeeded, 2);
    assert.equal(counts.skipped, 0);
    assert.equal(totals.rowsRead, 30);
  });

  it('a partition waiting its turn, or cancelled before it started, keeps its earlier outcome; a running one is shown running', () => {
    const first = { run: run(1, 'r1'), partitions: [loaded('a', 1), loaded('b', 2), loaded('c', 3)] };
    const merged = mergeRuns([
      first,
      {
        run: run(2, 'r2'),
        partitions: [
          { key: 'a', status: 'pending', runs: 0 },
          { key: 'b', status: 'running', runs: 1 },
          { key: 'c', status: 'cancelled', runs: 0 },
        ],
      },
    ]);
    assert.deepEqual(
      merged.map((p) => [p.key, p.status, p.run]),
      [
        ['a', 'succeeded', 1],
        ['b', 'running', 2],
        ['c', 'succeeded', 1],
      ],
    );
  });

  it('rebuilds a run from its children: newest child run wins, batches cover their range, the rest is pending', () => {
    const planned = ['2019-01', '2019-02', '2019-03', '2019-04', '2019-05'];
    const partitions = partitionsFromChildren(planned, [
      { childKey: '2019-01..2019-02', status: 'FAILED', startTime: at(1), error: 'boom' },
      {
        childKey: '2019-01..2019-02',
        status: 'COMPLETED',
        startTime: at(5),
        outcomes: {
          '2019-01': { status: 'succeeded', ...emptyStats(), rowsRead: 7 },
          '2019-02': { status: 'empty', ...emptyStats() },
        },
      },
      { childKey: '2019-03', status: 'RUNNING', startTime: at(6) },
      { childKey: '2019-04', status: 'TERMINATED', startTime: at(6) },
    ]);
    assert.deepEqual(
      partitions.map((p) => [p.key, p.status, p.runs, p.stats?.rowsRead]),
      [
        ['2019-01', 'succeeded', 2, 7],
        ['2019-02', 'empty', 2, 0],
        ['2019-03', 'running', 1, undefined],
        ['2019-04', 'failed', 1, undefined],
        ['2019-05', 'pending', 0, undefined],
      ],
    );
  });
});
