import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startBackfill } from '../../client/backfills';
import { SMALL_PARTITION_BYTES } from '../../common/small-partitions';
import { generateTransactions } from '../../testkit/dataset';
import { useTestEnv } from '../../testkit/env';
import { generatedTransactions, prepareTransactionsBackfill } from '../../testkit/fixtures';
import { partitionCounts, partitionHeartbeat } from '../../testkit/inspect';
import { queryFile } from '../../testkit/oracle';
import { specsOver } from '../../testkit/specs';
import { waitFor } from '../../testkit/wait';
import { withWorker } from '../../testkit/worker';

describe('batched children: small partitions load in one activity', () => {
  const env = useTestEnv();

  it('settles the small and empty partitions of a batch in one activity; a large one and one that fails there get their own, with the outcomes of one child each', async () => {
    // 2019-01 small, 2019-02 over the limit, 2019-03 a broken file, 2019-04 no files.
    const { dir, raw } = generatedTransactions({
      from: '2019-01',
      to: '2019-01',
      rowsPerPartition: 40,
      filesPerPartition: 2,
    });
    generateTransactions({
      dir: raw,
      from: '2019-02',
      to: '2019-02',
      rowsPerPartition: 12_000,
      filesPerPartition: 1,
      seed: 7,
    });
    const february = path.join(raw, 'year=2019', 'month=02');
    const februaryBytes = readdirSync(february).reduce(
      (sum, f) => sum + statSync(path.join(february, f)).size,
      0,
    );
    assert.ok(februaryBytes > SMALL_PARTITION_BYTES, `2019-02 holds ${februaryBytes} bytes`);
    mkdirSync(path.join(raw, 'year=2019', 'month=03'), { recursive: true });
    writeFileSync(path.join(raw, 'year=2019', 'month=03', 'bad.ndjson.gz'), 'not gzip');
    const make = specsOver(raw, dir, { from: '2019-01', to: '2019-04' });

    await withWorker(env, async ({ taskQueue }) => {
      const batchedSpec = make('small-batch', { partitionsPerChild: 4 });
      const batched = await (await startBackfill(env.client, batchedSpec, { taskQueue })).result();
      const plain = await (await startBackfill(env.client, make('small-plain', {}), { taskQueue })).result();
      const outcomes = (s: typeof plain) =>
        partitionCounts(s).map((counts, i) => {
          const p = s.partitions![i]!;
          return [...counts, p.lastError, p.stats!.rowsWritten, p.stats!.attempts];
        });
      assert.deepEqual(
        batched.partitions!.map((p) => p.status),
        ['succeeded', 'succeeded', 'failed', 'empty'],
      );
      assert.deepEqual(outcomes(batched), outcomes(plain));

      const history = await env.client.workflow
        .getHandle(`${batchedSpec.name}/2019-01..2019-04`)
        .fetchHistory();
      const scheduled = (history.events ?? [])
        .map((e) => e.activityTaskScheduledEventAttributes)
        .filter((a) => a !== null && a !== undefined)
        .map((a) => a.activityType!.name);
      // One activity for 2019-01 and 2019-04; 2019-02 (large) and 2019-03 (failed there) on their own.
      assert.deepEqual(scheduled, ['loadSmallPartitions', 'loadPartition', 'loadPartition']);
    });
  });

  it('cancelling a partition while its batch loads it stops that load before COMMIT: nothing of it is written, the batch is cancelled', async () => {
    const { spec, target } = prepareTransactionsBackfill({
      name: 'small-cancel',
      from: '2019-01',
      to: '2019-03',
      data: { rowsPerPartition: 100, filesPerPartition: 1 },
      extra: { partitionsPerChild: 3 },
    });
    const faults = { delayBeforeCommitMs: (key: string) => (key === '2019-02' ? 60_000 : 0) };
    await withWorker(env, { faults }, async ({ taskQueue }) => {
      const started = Date.now();
      const handle = await startBackfill(env.client, spec, { taskQueue });
      const childId = `${spec.name}/2019-01..2019-03`;
      await waitFor('2019-02 about to commit in its batch', async () => {
        const beat = (await partitionHeartbeat(env, childId).catch(() => undefined)) as
          { partition?: string; progress?: { stage?: string } } | undefined;
        return beat?.partition === '2019-02' && beat.progress?.stage === 'committing';
      });
      await handle.executeUpdate('cancelPartitions', { args: [{ partitions: ['2019-02'] }] });
      const summary = await handle.result();
      assert.ok(Date.now() - started < 50_000, 'the held commit was interrupted, not waited out');
      assert.deepEqual(
        summary.partitions!.map((p) => p.status),
        ['cancelled', 'cancelled', 'cancelled'],
      );
    });
    const months = await queryFile<{ month: number }>(
      target,
      'SELECT DISTINCT month FROM transactions ORDER BY month',
    );
    assert.deepEqual(
      months.map((m) => m.month),
      [1],
      'the batch committed 2019-01 before the cancel, and nothing of 2019-02',
    );
  });

  it('takes no new partition once half its timeout has passed: the rest load on their own', async () => {
    const { spec } = prepareTransactionsBackfill({
      name: 'small-budget',
      from: '2019-01',
      to: '2019-03',
      data: { rowsPerPartition: 50, filesPerPartition: 1 },
      extra: { partitionsPerChild: 3, partitionTimeout: '6s' },
    });
    // 2019-01 alone takes past half of the 6 s timeout.
    const faults = { delayBeforeCommitMs: (key: string) => (key === '2019-01' ? 3_500 : 0) };
    await withWorker(env, { faults }, async ({ taskQueue }) => {
      const summary = await (await startBackfill(env.client, spec, { taskQueue })).result();
      assert.deepEqual(
        summary.partitions!.map((p) => p.status),
        ['succeeded', 'succeeded', 'succeeded'],
      );
      const history = await env.client.workflow.getHandle(`${spec.name}/2019-01..2019-03`).fetchHistory();
      const scheduled = (history.events ?? [])
        .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
        .filter(Boolean);
      assert.deepEqual(scheduled, ['loadSmallPartitions', 'loadPartition', 'loadPartition']);
    });
  });
});
