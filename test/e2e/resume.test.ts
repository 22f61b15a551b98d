import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startBackfill } from '../../client/backfills';
import { generateTransactions } from '../../scripts/dataset';
import {
  partitionHeartbeat,
  spawnWorker,
  useTestEnv,
  tempDir,
  transactionsSpec,
  uniqueId,
  waitFor,
  assertTargetEqualsOracle,
} from '../helpers';

describe('file-level resume', () => {
  const env = useTestEnv();

  it('SIGKILL in the middle of a 40-file partition: the retry re-reads fewer files and the table equals the oracle', async () => {
    const dir = tempDir();
    const data = generateTransactions({
      dir: path.join(dir, 'raw'),
      from: '2019-05',
      to: '2019-05',
      rowsPerPartition: 4000,
      filesPerPartition: 40,
    });
    const target = path.join(dir, 'warehouse.duckdb');
    const spec = transactionsSpec({
      name: uniqueId('resume'),
      source: path.join(dir, 'raw'),
      target,
      from: '2019-05',
      to: '2019-05',
    });
    const taskQueue = uniqueId('tq');
    const slow = spawnWorker(env.server, taskQueue, { BACKFILL_FAULT_DELAY_AFTER_FILE_MS: '250' });
    const handle = await startBackfill(env.client, spec, { taskQueue });
    const staged = await waitFor('at least 10 files staged and heartbeated', async () => {
      const beat = (await partitionHeartbeat(env, `${spec.name}/2019-05`).catch(() => undefined)) as
        { filesStaged?: number } | undefined;
      return (beat?.filesStaged ?? 0) >= 10 ? beat!.filesStaged! : undefined;
    });
    slow.process.kill('SIGKILL');
    await slow.exited;
    assert.ok(staged < 40, 'killed before staging finished');

    const fresh = spawnWorker(env.server, taskQueue);
    try {
      const summary = await handle.result();
      const stats = summary.partitions![0]!.stats!;
      assert.equal(summary.partitions![0]!.status, 'succeeded');
      assert.equal(stats.attempts, 2);
      assert.equal(stats.files, 40);
      assert.ok(
        stats.filesReused >= staged,
        `reused ${stats.filesReused} staged files (heartbeat said ${staged})`,
      );
      assert.ok(stats.filesReused < 40);
      assert.equal(stats.rowsRead, data.rows, 'every row read exactly once across the two attempts');
    } finally {
      fresh.process.kill('SIGTERM');
      await fresh.exited;
    }
    await assertTargetEqualsOracle(target, data.oracle);
  });
});
