import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRanges, encodeRanges, ShardWindow } from '../../common/shards';
import type { CarriedShards, StageShardResult } from '../../common/types';
import { prng } from '../../testkit/dataset';
import { ShardProgress } from '../../workflows/shard-progress';
import { partitionTable } from '../../client/render';
import { LIVE_SHARDS_LIMIT, liveShardCandidates, withShards } from '../../client/live-shards';
import type { BackfillSpec } from '../../common/spec';
import { emptyStats } from '../../common/types';
import { decodeState, encodeState, type CarriedState } from '../../workflows/state';

describe('shard window', () => {
  it('keeps at most `concurrency` pending, lowest index first, skipping done shards', () => {
    const w = new ShardWindow(6, new Set([1]), 2);
    assert.deepEqual(w.take(), [0, 2]);
    assert.deepEqual(w.take(), []);
    w.finish(2);
    assert.deepEqual(w.take(), [3]);
    w.finish(0);
    w.finish(3);
    assert.deepEqual(w.take(1), [4]);
    assert.deepEqual(w.take(), [5]);
    assert.equal(w.waiting, 0);
  });

  it('never holds more than its limit and starts every shard exactly once (seeded completions)', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const random = prng(seed);
      const total = Math.floor(random() * 300);
      const concurrency = 1 + Math.floor(random() * 20);
      const w = new ShardWindow(total, new Set(), concurrency);
      const started: number[] = [];
      for (;;) {
        started.push(...w.take());
        assert.ok(w.pending.size <= concurrency);
        if (w.pending.size === 0) break;
        const pending = [...w.pending];
        w.finish(pending[Math.floor(random() * pending.length)]!);
      }
      assert.deepEqual(
        started.sort((a, b) => a - b),
        Array.from({ length: total }, (_, i) => i),
      );
    }
  });
});

describe('carried shard state', () => {
  it('encodes done shards as ranges and back', () => {
    assert.equal(encodeRanges([0, 1, 2, 3, 7, 9, 10, 11]), '0-3,7,9-11');
    assert.equal(encodeRanges([]), '');
    assert.deepEqual([...decodeRanges('0-3,7,9-11')], [0, 1, 2, 3, 7, 9, 10, 11]);
    assert.deepEqual([...decodeRanges('')], []);
    const random = prng(7);
    const set = new Set(Array.from({ length: 5000 }, () => Math.floor(random() * 10_000)));
    assert.deepEqual(decodeRanges(encodeRanges(set)), set);
    assert.ok(encodeRanges(Array.from({ length: 10_000 }, (_, i) => i)).length < 20);
  });

  it('sums shard results once each, survives encode → resume, and reports stats and details', () => {
    const plan = { planId: 'p', shards: 3, files: 6, bytes: 600 };
    const shard = (i: number, worker: string, reused = false): StageShardResult => ({
      shard: i,
      files: 2,
      bytes: 200,
      rowsRead: 10,
      rowsRejected: 1,
      duplicatesRemoved: 2,
      rowsStaged: 7,
      reused,
      worker,
    });
    const progress = ShardProgress.start(plan, 1000);
    progress.record(shard(0, 'w1'));
    progress.record(shard(0, 'w1'));
    progress.record(shard(2, 'w2', true));
    const resumed = ShardProgress.resume(JSON.parse(JSON.stringify(progress.encode())) as CarriedShards);
    assert.equal(resumed.finished, false);
    resumed.record(shard(1, 'w2'));
    assert.equal(resumed.finished, true);
    assert.deepEqual(resumed.stats(), { total: 3, done: 3, reused: 1, workers: { w1: 1, w2: 2 } });
    assert.deepEqual(resumed.counts, {
      filesReused: 2,
      rowsRead: 30,
      rowsRejected: 3,
      duplicatesRemoved: 6,
      rowsStaged: 21,
    });
    assert.equal(resumed.startedAt, 1000);
    assert.match(resumed.details('2019-01', 'committing'), /\*\*3 \/ 3\*\* shards done · 1 reused/);
    assert.match(resumed.details('2019-01', 'committing'), /\| w2 \| 2 \|/);
  });
});

describe('status shows shards', () => {
  it('a column of shards done / total, with the reused ones, only when a partition is sharded', () => {
    const stats = {
      files: 6,
      filesReused: 2,
      bytes: 10,
      rowsRead: 1,
      rowsAccepted: 1,
      duplicatesRemoved: 0,
      rowsRejected: 0,
      rowsWritten: 1,
      attempts: 1,
      durationMs: 5,
    };
    const table = partitionTable([
      {
        key: '2019-01',
        status: 'succeeded',
        runs: 1,
        stats: { ...stats, shards: { total: 4, done: 4, reused: 3, workers: {} } },
      },
      { key: '2019-02', status: 'succeeded', runs: 1, stats },
    ]);
    assert.match(table, /SHARDS/);
    assert.match(table, /4\/4 \(3 reused\)/);
    assert.doesNotMatch(partitionTable([{ key: '2019-02', status: 'succeeded', runs: 1, stats }]), /SHARDS/);
  });

  it("a running partition's live shards: placeholder stats, counts left blank, only running ones of a sharded spec asked", () => {
    const shards = { total: 4, done: 1, reused: 0, workers: { 'a@h': 1 } };
    const running = { key: '2019-03', status: 'running' as const, runs: 1 };
    const live = withShards(running, shards);
    assert.deepEqual(live.stats, { ...emptyStats(), shards, live: true });
    // Stats it already has keep their counts and are not marked.
    const counted = { ...emptyStats(), files: 3 };
    assert.deepEqual(withShards({ ...running, stats: counted }, shards).stats, { ...counted, shards });
    const row = partitionTable([live]).split('\n')[1]!;
    assert.match(row, /^2019-03\s+running\s+1\/4\s*$/);
    const sharded = { source: { shards: { maxFiles: 2 } } } as unknown as BackfillSpec;
    const many = Array.from({ length: 60 }, (_, i) => ({ ...running, key: `k${i}` }));
    const done = { key: 'd', status: 'succeeded' as const, runs: 1 };
    assert.equal(liveShardCandidates(sharded, [done, ...many]).length, LIVE_SHARDS_LIMIT);
    assert.deepEqual(liveShardCandidates(sharded, [done, running]), [running]);
    assert.deepEqual(liveShardCandidates({ source: {} } as unknown as BackfillSpec, [running]), []);
    assert.deepEqual(liveShardCandidates(undefined, [running]), []);
  });
});

describe("the parent carries a partition's shard stats across its continue-as-new", () => {
  it('encodes and decodes them beside the positional stats; a state carried before shards decodes without', () => {
    const shards = { total: 4, done: 4, reused: 1, workers: { 'a@h': 3, 'b@h': 1 } };
    const stats = { ...emptyStats(), files: 8, rowsRead: 10, shards };
    const state = {
      partitions: [
        { key: '2019-01', status: 'succeeded' as const, runs: 1, stats },
        { key: '2019-02', status: 'succeeded' as const, runs: 1, stats: { ...emptyStats(), files: 1 } },
      ],
      maxConcurrency: 2,
      paused: false,
      generation: 0,
      startedAt: 1,
    };
    const keys = ['2019-01', '2019-02'];
    const carried = JSON.parse(JSON.stringify(encodeState(state, keys))) as CarriedState;
    const decoded = decodeState(carried, keys);
    assert.deepEqual(decoded.partitions[0]!.stats?.shards, shards);
    assert.equal(decoded.partitions[1]!.stats?.shards, undefined);
    const { shards: _s, ...older } = carried;
    assert.equal(decodeState(older, keys).partitions[0]!.stats?.shards, undefined);
  });
});
