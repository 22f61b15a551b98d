import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { getStatus, startBackfill } from '../../client/backfills';
import { generateTransactions } from '../../scripts/dataset';
import {
  partitionHeartbeat,
  queryFile,
  runCli,
  useTestEnv,
  startWorker,
  tempDir,
  transactionsSpec,
  uniqueId,
  waitFor,
  assertTargetEqualsOracle,
} from '../helpers';

describe('cancel and retry single partitions while the backfill runs', () => {
  const env = useTestEnv();

  it('cancels a loading partition (nothing written), the others succeed, retry completes it', async () => {
    const dir = tempDir();
    const data = generateTransactions({
      dir: path.join(dir, 'raw'),
      from: '2019-01',
      to: '2019-06',
      rowsPerPartition: 1500,
    });
    const target = path.join(dir, 'warehouse.duckdb');
    const spec = transactionsSpec({
      name: uniqueId('cancel'),
      source: path.join(dir, 'raw'),
      target,
      from: '2019-01',
      to: '2019-06',
    });
    // 2019-03 holds its first attempt open just before COMMIT; 2019-06 stays open long enough for the retry to land mid-run.
    const held = new Set(['2019-03', '2019-06']);
    const worker = await startWorker(env, {
      faults: { delayBeforeCommitMs: (key) => (held.delete(key) ? (key === '2019-03' ? 60_000 : 8_000) : 0) },
    });
    try {
      const handle = await startBackfill(env.client, spec, { taskQueue: worker.taskQueue });
      const childId = `${spec.name}/2019-03`;
      await waitFor('2019-03 to reach its commit step', async () => {
        const beat = (await partitionHeartbeat(env, childId).catch(() => undefined)) as
          { stage?: string } | undefined;
        return beat?.stage === 'committing';
      });

      const cancel = await runCli(env, worker.taskQueue, ['cancel', spec.name, '--partition', '2019-03']);
      assert.equal(cancel.code, 0, cancel.err.join('\n'));
      assert.deepEqual(cancel.out, ['cancelled: 2019-03']);
      await waitFor('2019-03 cancelled', async () => {
        const s = await getStatus(env.client, spec.name);
        return s.partitions?.find((p) => p.key === '2019-03')?.status === 'cancelled';
      });
      const running = await getStatus(env.client, spec.name);
      assert.equal(running.workflowStatus, 'RUNNING');

      const retry = await runCli(env, worker.taskQueue, ['retry', spec.name, '--partition', '2019-03']);
      assert.equal(retry.code, 0, retry.err.join('\n'));
      assert.deepEqual(retry.out, ['retrying: 2019-03']);

      const summary = await handle.result();
      const byKey = Object.fromEntries(summary.partitions!.map((p) => [p.key, p]));
      assert.equal(byKey['2019-03']!.status, 'succeeded');
      assert.equal(byKey['2019-03']!.runs, 2);
      assert.equal(summary.counts.succeeded, 6);
    } finally {
      await worker.stop();
    }
    await assertTargetEqualsOracle(target, data.oracle);
  });

  it('a cancelled load leaves none of its rows; cancelling a child from outside (as the UI does) marks it cancelled and the parent carries on', async () => {
    const dir = tempDir();
    generateTransactions({
      dir: path.join(dir, 'raw'),
      from: '2019-01',
      to: '2019-04',
      rowsPerPartition: 500,
    });
    const target = path.join(dir, 'warehouse.duckdb');
    const spec = transactionsSpec({
      name: uniqueId('uicancel'),
      source: path.join(dir, 'raw'),
      target,
      from: '2019-01',
      to: '2019-04',
    });
    const worker = await startWorker(env, {
      faults: { delayBeforeCommitMs: (key) => (key === '2019-02' ? 60_000 : 0) },
    });
    try {
      const handle = await startBackfill(env.client, spec, { taskQueue: worker.taskQueue });
      const childId = `${spec.name}/2019-02`;
      await waitFor('2019-02 to reach its commit step', async () => {
        const beat = (await partitionHeartbeat(env, childId).catch(() => undefined)) as
          { stage?: string } | undefined;
        return beat?.stage === 'committing';
      });
      await env.client.workflow.getHandle(childId).cancel();
      const summary = await handle.result();
      const statuses = Object.fromEntries(summary.partitions!.map((p) => [p.key, p.status]));
      assert.deepEqual(statuses, {
        '2019-01': 'succeeded',
        '2019-02': 'cancelled',
        '2019-03': 'succeeded',
        '2019-04': 'succeeded',
      });
      const child = await env.client.workflow.getHandle(childId).describe();
      assert.equal(child.status.name, 'CANCELLED');
    } finally {
      await worker.stop();
    }
    const months = await queryFile<{ month: number; n: string }>(
      target,
      'SELECT month, count(*)::VARCHAR AS n FROM transactions GROUP BY month ORDER BY month',
    );
    assert.deepEqual(
      months.map((m) => m.month),
      [1, 3, 4],
      'no row of the cancelled partition may be in the target',
    );
  });
});
