import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getStatus, startBackfill } from '../../client/backfills';
import { useTestEnv } from '../../testkit/env';
import { prepareTransactionsBackfill } from '../../testkit/fixtures';
import { assertTargetEqualsOracle } from '../../testkit/oracle';
import { spawnWorker, withWorkerProcess } from '../../testkit/processes';
import { waitFor } from '../../testkit/wait';

describe('a worker killed mid-backfill', () => {
  const env = useTestEnv();

  it('SIGKILL, then a new worker: the backfill completes and the table equals the oracle', async () => {
    const { data, spec, target, taskQueue } = prepareTransactionsBackfill({
      name: 'crash',
      from: '2019-01',
      to: '2019-08',
      data: { rowsPerPartition: 1500, lateUpdateRate: 0.05 },
    });
    // The first worker is slow to commit, so the kill lands while partitions are mid-load.
    const first = spawnWorker(env.server, taskQueue, { BACKFILL_FAULT_DELAY_BEFORE_COMMIT_MS: '1500' });
    const handle = await startBackfill(env.client, spec, { taskQueue });
    const before = await waitFor('some partitions done and some running', async () => {
      const s = await getStatus(env.client, spec.name, { partitions: false });
      return s.counts.succeeded >= 2 && s.counts.running >= 1 ? s : undefined;
    });
    await first.kill('SIGKILL');
    assert.ok(before.counts.succeeded < 8, 'the kill happened before the end');

    const summary = await withWorkerProcess(env.server, taskQueue, {}, () => handle.result());
    assert.equal(summary.counts.succeeded, 8);
    assert.ok(
      summary.partitions!.some((p) => (p.stats?.attempts ?? 0) > 1),
      'at least one load was retried after the crash',
    );
    await assertTargetEqualsOracle(target, data.oracle);
  });
});
