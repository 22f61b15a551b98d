/**
 * The sharded-load suites' data: one partition whose keys repeat in files far apart, so cut into
 * shards of consecutive files (name order) a key's versions sit in different shards — and the
 * oracle, recomputed from the files alone, is one row per key with its newest version. The last
 * test shows the data catches a commit that merges shards in the wrong way.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { oracleLines, type Transaction } from '../../testkit/dataset';
import { tempDir } from '../../testkit/fixtures';
import { latestPerPartitionLines, linesDigest } from '../../testkit/oracle';
import { generateShardedPartition } from '../../testkit/sharded-partition';

const FILES = 48;
const PER_SHARD = 4;
const { raw, data } = generateShardedPartition({ dir: tempDir('sharded-'), files: FILES, rowsPerFile: 50 });

/** Every record with the shard its file falls in (shards of PER_SHARD consecutive files). */
const monthDir = path.join(raw, 'year=2020', 'month=03');
const files = readdirSync(monthDir).sort();
const records = files.flatMap((file, index) =>
  readFileSync(path.join(monthDir, file), 'utf8')
    .trim()
    .split('\n')
    .map((line) => ({
      tx: JSON.parse(line) as Transaction,
      file: index,
      shard: Math.floor(index / PER_SHARD),
    })),
);
const byKey = new Map<string, typeof records>();
for (const r of records) byKey.set(r.tx.transaction_id, [...(byKey.get(r.tx.transaction_id) ?? []), r]);

describe('one partition cut into shards: the test data', () => {
  it(`${FILES} files, every one non-empty, in ${FILES / PER_SHARD} shards of ${PER_SHARD}`, () => {
    assert.equal(files.length, FILES);
    assert.equal(data.files, FILES);
    assert.equal(records.length, data.rows);
    for (const file of files) assert.match(file, /^part-\d{3}\.ndjson$/);
    assert.equal(new Set(records.map((r) => r.file)).size, FILES);
  });

  it('the oracle recomputed from the files alone equals the generator’s', () => {
    const fromFiles = latestPerPartitionLines(raw);
    const oracle = oracleLines(data.oracle);
    assert.deepEqual(linesDigest(fromFiles), linesDigest(oracle));
    assert.equal(data.oracle.size, byKey.size);
  });

  it('keys repeat across shards: exact duplicates, and newer versions in earlier and later shards', () => {
    let duplicatedAcross = 0;
    let newestEarlier = 0;
    let newestLater = 0;
    for (const versions of byKey.values()) {
      if (versions.length < 2) continue;
      const shards = new Set(versions.map((v) => v.shard));
      assert.equal(shards.size, versions.length, 'two versions of a key in one shard');
      const times = new Set(versions.map((v) => v.tx.updated_at));
      if (times.size < versions.length) duplicatedAcross += 1;
      const newest = versions.reduce((a, b) => (b.tx.updated_at > a.tx.updated_at ? b : a));
      const oldest = versions.reduce((a, b) => (b.tx.updated_at < a.tx.updated_at ? b : a));
      if (newest.tx.updated_at === oldest.tx.updated_at) continue;
      if (newest.shard < oldest.shard) newestEarlier += 1;
      else newestLater += 1;
    }
    const note = `duplicated across shards ${duplicatedAcross}, newest earlier ${newestEarlier}, later ${newestLater}`;
    assert.ok(duplicatedAcross >= 20, note);
    assert.ok(newestEarlier >= 20, note);
    assert.ok(newestLater >= 20, note);
  });

  it('a commit that keeps each shard’s rows, or lets the later shard win, misses the oracle', () => {
    const oracle = linesDigest(oracleLines(data.oracle));
    // Each shard deduplicated on its own (newest within the shard), then the shards put together.
    const perShard = new Map<string, Transaction>();
    const union: Transaction[] = [];
    for (let shard = 0; shard < FILES / PER_SHARD; shard++) {
      const latest = new Map<string, Transaction>();
      for (const { tx } of records.filter((r) => r.shard === shard)) {
        const have = latest.get(tx.transaction_id);
        if (!have || tx.updated_at >= have.updated_at) latest.set(tx.transaction_id, tx);
      }
      union.push(...latest.values());
      for (const [key, tx] of latest) perShard.set(key, tx); // the later shard wins
    }
    assert.ok(union.length > oracle.rows, 'appending the shards keeps duplicates');
    const laterWins = oracleLines(
      new Map([...perShard].map(([k, tx]) => [k, { ...tx, year: 2020, month: 3 }])),
    );
    assert.equal(laterWins.length, oracle.rows);
    assert.notEqual(linesDigest(laterWins).sha256, oracle.sha256, 'shard order instead of updated_at');
  });
});
