import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startBackfill, getStatus } from '../../client/backfills';
import { generateTransactions } from '../../scripts/dataset';
import {
  useTestEnv,
  startWorker,
  tempDir,
  transactionsSpec,
  uniqueId,
  assertTargetEqualsOracle,
} from '../helpers';

describe('backfill end to end (real dev server, real DuckDB file)', () => {
  const env = useTestEnv();

  it('lands exactly the oracle rows for 6 partitions, then a re-run skips all of them', async () => {
    const dir = tempDir();
    const data = generateTransactions({
      dir: path.join(dir, 'raw'),
      from: '2019-01',
      to: '2019-06',
      rowsPerPartition: 2000,
      duplicateRate: 0.1,
      lateUpdateRate: 0.05,
    });
    const target = path.join(dir, 'warehouse.duckdb');
    const spec = transactionsSpec({
      name: uniqueId('six'),
      source: path.join(dir, 'raw'),
      target,
      from: '2019-01',
      to: '2019-06',
    });
    const worker = await startWorker(env);
    try {
      const summary = await (await startBackfill(env.client, spec, { taskQueue: worker.taskQueue })).result();
      assert.equal(
        summary.counts.succeeded,
        6,
        JSON.stringify(summary.partitions?.map((p) => [p.key, p.status, p.lastError])),
      );
      assert.equal(summary.totals.rowsRead, data.rows);
      assert.equal(
        summary.totals.rowsRead,
        summary.totals.rowsMerged + summary.totals.duplicatesRemoved + summary.totals.rowsRejected,
      );

      const rerun = await (await startBackfill(env.client, spec, { taskQueue: worker.taskQueue })).result();
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
    } finally {
      await worker.stop();
    }
    await assertTargetEqualsOracle(target, data.oracle);
  });
});
