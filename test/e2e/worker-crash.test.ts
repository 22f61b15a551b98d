import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { getStatus, startBackfill } from '../../client/backfills';
import { generateTransactions } from '../../scripts/dataset';
import {
  spawnWorker,
  useTestEnv,
  tempDir,
  transactionsSpec,
  uniqueId,
  waitFor,
  assertTargetEqualsOracle,
} from '../helpers';

describe('a worker killed mid-backfill', () => {
  const env = useTestEnv();

  it('SIGKILL, then a new worker: the backfill completes and the table equals the oracle', async () => {
    const dir = tempDir();
    const data = generateTransactions({
      dir: path.join(dir, 'raw'),
      from: '2019-01',
      to: '2019-08',
      rowsPerPartition: 1500,
      lateUpdateRate: 0.05,
    });
    const target = path.join(dir, 'warehouse.duckdb');
    const spec = transactionsSpec({
      name: uniqueId('crash'),
      source: path.join(dir, 'raw'),
      target,
      from: '2019-01',
      to: '2019-08',
    });
    const taskQueue = uniqueId('tq');
    // The first worker is slow to commit, so the kill lands while partitions are mid-load.
    const first = spawnWorker(env.server, taskQueue, { BACKFILL_FAULT_DELAY_BEFORE_COMMIT_MS: '1500' });
    const handle = await startBackfill(env.client, spec, { taskQueue });
    const before = await waitFor('some partitions done and some running', async () => {
      const s = await getStatus(env.client, spec.name, { partitions: false });
      return s.counts.succeeded >= 2 && s.counts.running >= 1 ? s : undefined;
    });
    first.process.kill('SIGKILL');
    await first.exited;
    assert.ok(before.counts.succeeded < 8, 'the kill happened before the end');

    const second = spawnWorker(env.server, taskQueue);
    try {
      const summary = await handle.result();
      assert.equal(summary.counts.succeeded, 8);
      assert.ok(
        summary.partitions!.some((p) => (p.stats?.attempts ?? 0) > 1),
        'at least one load was retried after the crash',
      );
    } finally {
      second.process.kill('SIGTERM');
      await second.exited;
    }
    await assertTargetEqualsOracle(target, data.oracle);
  });
});
