import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { shardCount, splitShards } from '../../common/shards';
import { parseSpec } from '../../common/spec';
import { prng } from '../../testkit/dataset';

const opts = (maxFiles: number, maxBytes: number, minPartitionBytes = 0) => ({
  maxFiles,
  maxBytes,
  minPartitionBytes,
  concurrency: 4,
});

describe('shard split', () => {
  it('closes a shard at maxFiles or before maxBytes would be passed; a big file is a shard of its own', () => {
    assert.deepEqual(splitShards([1, 1, 1, 1, 1], opts(2, 100)), [0, 2, 4]);
    assert.deepEqual(splitShards([40, 40, 40, 40], opts(10, 100)), [0, 2]);
    assert.deepEqual(splitShards([10, 500, 10, 10], opts(10, 100)), [0, 1, 2]);
    assert.deepEqual(splitShards([500], opts(10, 100)), [0]);
    assert.deepEqual(splitShards([], opts(10, 100)), []);
  });

  it('is deterministic and covers every file once, each shard within its limits (seeded)', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const random = prng(seed);
      const sizes = Array.from({ length: Math.floor(random() * 200) }, () => Math.floor(random() * 1000));
      const o = opts(1 + Math.floor(random() * 10), 1 + Math.floor(random() * 3000));
      const starts = splitShards(sizes, o);
      assert.deepEqual(splitShards([...sizes], o), starts, `seed ${seed}`);
      starts.forEach((start, i) => {
        const shard = sizes.slice(start, starts[i + 1] ?? sizes.length);
        assert.ok(shard.length >= 1 && shard.length <= o.maxFiles, `seed ${seed} shard ${i}`);
        const bytes = shard.reduce((a, b) => a + b, 0);
        assert.ok(shard.length === 1 || bytes <= o.maxBytes, `seed ${seed} shard ${i}: ${bytes}`);
      });
      assert.equal(starts[0] ?? 0, 0);
      assert.ok(starts.every((s, i) => i === 0 || s > starts[i - 1]!));
    }
  });

  it('shards only a partition of at least minPartitionBytes that makes 2 shards or more', () => {
    assert.equal(shardCount([1, 1, 1, 1], undefined), 0);
    assert.equal(shardCount([1, 1, 1, 1], opts(2, 100)), 2);
    assert.equal(shardCount([1, 1, 1, 1], opts(2, 100, 5)), 0);
    assert.equal(shardCount([1, 1], opts(4, 100)), 0);
    assert.equal(shardCount([5], opts(1, 1)), 0);
  });
});

describe('spec source.shards and staging', () => {
  const base = {
    name: 'x',
    schema: { id: 'VARCHAR' },
    target: { path: '/tmp/t.duckdb', table: 't', keyColumns: ['id'] },
    range: { from: '2020-01', to: '2020-01' },
  };
  it('parses sizes and applies the defaults', () => {
    const spec = parseSpec({
      ...base,
      source: { uri: '/data', shards: { maxBytes: '512MiB' } },
      staging: { uri: 's3://bucket/staging/' },
    });
    assert.deepEqual(spec.source.shards, {
      maxFiles: 16,
      maxBytes: 512 * 2 ** 20,
      minPartitionBytes: 2 ** 30,
      concurrency: 64,
    });
  });
  it('refuses shards without staging, with commit: batch, a relative staging dir, credentials or bad sizes', () => {
    const bad: [object, RegExp][] = [
      [{ source: { uri: '/d', shards: {} } }, /staging: source\.shards needs staging\.uri/],
      [
        {
          source: { uri: '/d', shards: {} },
          staging: { uri: '/s' },
          partitionsPerChild: 2,
          commit: 'batch',
        },
        /cannot be combined with commit: batch/,
      ],
      [{ source: { uri: '/d', shards: {} }, staging: { uri: 'rel/dir' } }, /absolute directory/],
      [{ source: { uri: '/d', shards: {} }, staging: { uri: 's3://k:s@b/p' } }, /must not carry credentials/],
      [
        { source: { uri: '/d', shards: { maxBytes: '12 parsecs' } }, staging: { uri: '/s' } },
        /must be a size/,
      ],
      [{ source: { uri: '/d', shards: { concurrency: 2001 } }, staging: { uri: '/s' } }, /concurrency/],
    ];
    for (const [extra, message] of bad) assert.throws(() => parseSpec({ ...base, ...extra }), message);
  });
});
