import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getStatus, startBackfill } from '../../client/backfills';
import { runCli } from '../../testkit/cli';
import { useTestEnv, type TestEnv } from '../../testkit/env';
import { prepareTransactionsBackfill } from '../../testkit/fixtures';
import { partitionHeartbeat } from '../../testkit/inspect';
import { assertTargetEqualsOracle, queryFile } from '../../testkit/oracle';
import { waitFor } from '../../testkit/wait';
import { withWorker } from '../../testkit/worker';

/** Waits until the partition's load heartbeats that it is about to COMMIT. */
function untilCommitting(env: TestEnv, childId: string) {
  return waitFor(`${childId} to reach its commit step`, async () => {
    const beat = (await partitionHeartbeat(env, childId).catch(() => undefined)) as
      { stage?: string } | undefined;
    return beat?.stage === 'committing';
  });
}

describe('cancel and retry single partitions while the backfill runs', () => {
  const env = useTestEnv();

  it('cancels a loading partition (nothing written), the others succeed, retry completes it', async () => {
    const { data, spec, target } = prepareTransactionsBackfill({
      name: 'cancel',
      from: '2019-01',
      to: '2019-06',
      data: { rowsPerPartition: 1500 },
    });
    // 2019-03 holds its first attempt open just before COMMIT; 2019-06 stays open long enough for the retry to land mid-run.
    const held = new Set(['2019-03', '2019-06']);
    const faults = {
      delayBeforeCommitMs: (key: string) => (held.delete(key) ? (key === '2019-03' ? 60_000 : 8_000) : 0),
    };
    await withWorker(env, { faults }, async ({ taskQueue }) => {
      const handle = await startBackfill(env.client, spec, { taskQueue });
      await untilCommitting(env, `${spec.name}/2019-03`);

      const cancel = await runCli(env, taskQueue, ['cancel', spec.name, '--partition', '2019-03']);
      assert.equal(cancel.code, 0, cancel.err.join('\n'));
      assert.deepEqual(cancel.out, ['cancelled: 2019-03']);
      await waitFor('2019-03 cancelled', async () => {
        const s = await getStatus(env.client, spec.name);
        return s.partitions?.find((p) => p.key === '2019-03')?.status === 'cancelled';
      });
      const running = await getStatus(env.client, spec.name);
      assert.equal(running.workflowStatus, 'RUNNING');

      const retry = await runCli(env, taskQueue, ['retry', spec.name, '--partition', '2019-03']);
      assert.equal(retry.code, 0, retry.err.join('\n'));
      assert.deepEqual(retry.out, ['retrying: 2019-03']);

      const summary = await handle.result();
      const byKey = Object.fromEntries(summary.partitions!.map((p) => [p.key, p]));
      assert.equal(byKey['2019-03']!.status, 'succeeded');
      assert.equal(byKey['2019-03']!.runs, 2);
      assert.equal(summary.counts.succeeded, 6);
    });
    await assertTargetEqualsOracle(target, data.oracle);
  });

  it('a cancelled load leaves none of its rows; cancelling a child from outside (as the UI does) marks it cancelled and the parent carries on', async () => {
    const { spec, target } = prepareTransactionsBackfill({
      name: 'uicancel',
      from: '2019-01',
      to: '2019-04',
      data: { rowsPerPartition: 500 },
    });
    const faults = { delayBeforeCommitMs: (key: string) => (key === '2019-02' ? 60_000 : 0) };
    await withWorker(env, { faults }, async ({ taskQueue }) => {
      const handle = await startBackfill(env.client, spec, { taskQueue });
      const childId = `${spec.name}/2019-02`;
      await untilCommitting(env, childId);
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
    });
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
