/**
 * Batch commit (spec commit: batch) on the dev server with a real worker: a batched child loads
 * its partitions in one loadBatch activity and one transaction, and the backfill equals the
 * oracle and the per-partition run partition by partition; cancelling one partition of a batch
 * held before its COMMIT cancels the whole batch (nothing of it written) while the other batches
 * succeed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startBackfill } from '../../client/backfills';
import { useTestEnv } from '../../testkit/env';
import { generatedTransactions, prepareTransactionsBackfill } from '../../testkit/fixtures';
import { partitionCounts, partitionHeartbeat } from '../../testkit/inspect';
import { assertTargetEqualsOracle, queryFile } from '../../testkit/oracle';
import { specsOver, targetFile } from '../../testkit/specs';
import { waitFor } from '../../testkit/wait';
import { withWorker } from '../../testkit/worker';

/** The activities a child scheduled, in order. */
async function scheduled(env: ReturnType<typeof useTestEnv>, childId: string): Promise<string[]> {
  const history = await env.client.workflow.getHandle(childId).fetchHistory();
  return (history.events ?? [])
    .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
    .filter((name): name is string => Boolean(name));
}

describe('batch commit: a batched child commits its partitions in one transaction', () => {
  const env = useTestEnv();

  it('equals the oracle and the per-partition run, partition by partition; one loadBatch per child', async () => {
    // 2019-06 has no files: it stays empty inside its batch.
    const { dir, raw, data } = generatedTransactions({
      from: '2019-01',
      to: '2019-05',
      rowsPerPartition: 120,
      filesPerPartition: 3,
      duplicateRate: 0.05,
      lateUpdateRate: 0.1,
    });
    const make = specsOver(raw, dir, { from: '2019-01', to: '2019-06' });
    await withWorker(env, async ({ taskQueue }) => {
      const batchSpec = make('commit-batch', { partitionsPerChild: 3, commit: 'batch' });
      const batch = await (await startBackfill(env.client, batchSpec, { taskQueue })).result();
      const plain = await (await startBackfill(env.client, make('commit-plain'), { taskQueue })).result();
      assert.deepEqual(
        batch.partitions!.map((p) => p.status),
        ['succeeded', 'succeeded', 'succeeded', 'succeeded', 'succeeded', 'empty'],
      );
      assert.deepEqual(partitionCounts(batch), partitionCounts(plain));
      await assertTargetEqualsOracle(targetFile(batchSpec), data.oracle);
      assert.deepEqual(await scheduled(env, `${batchSpec.name}/2019-01..2019-03`), ['loadBatch']);
      assert.deepEqual(await scheduled(env, `${batchSpec.name}/2019-04..2019-06`), ['loadBatch']);
    });
  });

  it('a batch that fails fails every partition with files, with its error; one without files stays empty; nothing is written', async () => {
    const { dir, raw } = generatedTransactions({
      from: '2019-01',
      to: '2019-02',
      rowsPerPartition: 40,
      filesPerPartition: 1,
    });
    writeFileSync(path.join(raw, 'year=2019', 'month=02', 'bad.ndjson.gz'), 'not gzip');
    const spec = specsOver(raw, dir, { from: '2019-01', to: '2019-03' })('commit-batch-failed', {
      partitionsPerChild: 3,
      commit: 'batch',
    });
    await withWorker(env, async ({ taskQueue }) => {
      const summary = await (await startBackfill(env.client, spec, { taskQueue })).result();
      assert.deepEqual(
        summary.partitions!.map((p) => p.status),
        ['failed', 'failed', 'empty'],
      );
      const [jan, feb] = summary.partitions!;
      assert.match(jan!.lastError!, /bad\.ndjson\.gz/);
      assert.equal(jan!.lastError, feb!.lastError);
    });
    assert.ok(
      !existsSync(targetFile(spec)) || (await queryFile(targetFile(spec), 'SHOW TABLES')).length === 0,
    );
  });

  it('cancelling one partition of a batch held before its COMMIT cancels the whole batch, nothing of it written; the other batch succeeds', async () => {
    const { spec, target } = prepareTransactionsBackfill({
      name: 'commit-batch-cancel',
      from: '2019-01',
      to: '2019-06',
      data: { rowsPerPartition: 60, filesPerPartition: 2 },
      extra: { partitionsPerChild: 3, commit: 'batch' },
    });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const faults = { holdBeforeCommit: (key: string) => (key === '2019-02' ? held : undefined) };
    await withWorker(env, { faults }, async ({ taskQueue }) => {
      try {
        const handle = await startBackfill(env.client, spec, { taskQueue });
        const childId = `${spec.name}/2019-01..2019-03`;
        await waitFor('the first batch held inside its transaction', async () => {
          const beat = (await partitionHeartbeat(env, childId).catch(() => undefined)) as
            { stage?: string } | undefined;
          return beat?.stage === 'committing';
        });
        await handle.executeUpdate('cancelPartitions', { args: [{ partitions: ['2019-02'] }] });
        const summary = await handle.result();
        assert.deepEqual(
          summary.partitions!.map((p) => p.status),
          ['cancelled', 'cancelled', 'cancelled', 'succeeded', 'succeeded', 'succeeded'],
        );
      } finally {
        release();
      }
    });
    const months = await queryFile<{ month: number }>(
      target,
      'SELECT DISTINCT month FROM transactions ORDER BY month',
    );
    assert.deepEqual(
      months.map((m) => m.month),
      [4, 5, 6],
      'nothing of the cancelled batch, all of the other',
    );
  });
});
