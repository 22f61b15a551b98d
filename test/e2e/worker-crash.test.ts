import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getStatus } from '../../client/backfills';
import { useTestEnv } from '../../testkit/env';
import { waitFor } from '../../testkit/wait';
import { retriedPartitions, startOnFirstWorker } from '../../testkit/worker-handover';

describe('a worker killed mid-backfill', () => {
  const env = useTestEnv();

  it('SIGKILL, then a new worker: the backfill completes and the table equals the oracle', async () => {
    const run = await startOnFirstWorker(env, {
      name: 'crash',
      from: '2019-01',
      to: '2019-08',
      data: { rowsPerPartition: 1500, lateUpdateRate: 0.05 },
      // Slow to commit, so the kill lands while partitions are mid-load.
      firstWorkerEnv: { BACKFILL_FAULT_DELAY_BEFORE_COMMIT_MS: '1500' },
    });
    const before = await waitFor('some partitions done and some running', async () => {
      const s = await getStatus(env.client, run.backfill.spec.name, { partitions: false });
      return s.counts.succeeded >= 2 && s.counts.running >= 1 ? s : undefined;
    });
    await run.first.kill('SIGKILL');
    assert.ok(before.counts.succeeded < 8, 'the kill happened before the end');

    const summary = await run.finishOnNewWorker();
    assert.equal(summary.counts.succeeded, 8);
    assert.ok(retriedPartitions(summary) > 0, 'at least one load was retried after the crash');
  });
});
