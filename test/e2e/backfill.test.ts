import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBackfill, getStatus } from '../../client/backfills';
import { useTestEnv } from '../../testkit/env';
import { prepareTransactionsBackfill } from '../../testkit/fixtures';
import { assertTargetEqualsOracle } from '../../testkit/oracle';
import { withWorker } from '../../testkit/worker';

describe('backfill end to end (real dev server, real DuckDB file)', () => {
  const env = useTestEnv();

  it('lands exactly the oracle rows for 6 partitions, then a re-run skips all of them', async () => {
    const { data, spec, target } = prepareTransactionsBackfill({
      name: 'six',
      from: '2019-01',
      to: '2019-06',
      data: { rowsPerPartition: 2000, duplicateRate: 0.1, lateUpdateRate: 0.05 },
    });
    await withWorker(env, async ({ taskQueue }) => {
      const summary = await (await startBackfill(env.client, spec, { taskQueue })).result();
      assert.equal(
        summary.counts.succeeded,
        6,
        JSON.stringify(summary.partitions?.map((p) => [p.key, p.status, p.lastError])),
      );
      assert.equal(summary.totals.rowsRead, data.rows);
      assert.equal(
        summary.totals.rowsRead,
        summary.totals.rowsAccepted + summary.totals.duplicatesRemoved + summary.totals.rowsRejected,
      );

      const rerun = await (await startBackfill(env.client, spec, { taskQueue })).result();
      assert.equal(rerun.counts.skipped, 6);
      assert.equal(rerun.counts.succeeded, 0);
      // The backfill over both runs: the second run's skips leave the first run's loads standing.
      const status = await getStatus(env.client, spec.name);
      assert.equal(status.runs, 2);
      assert.deepEqual(
        status.partitions?.map((p) => `${p.status} in run ${p.run}`),
        Array(6).fill('succeeded in run 1'),
      );
      assert.equal(status.totals.rowsRead, data.rows);
    });
    await assertTargetEqualsOracle(target, data.oracle);
  });
});
