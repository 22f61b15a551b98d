/**
 * Spec checks under a real Temporal server and worker, into a real DuckDB file: a failed check
 * fails its partition on the first attempt (CheckFailedError is not retried) with one line naming
 * the check, its count and a sample; the child's result carries every check's outcome; nothing of
 * the partition lands. Re-running with the check relaxed applies the new spec's checks; retrying
 * after fixing the data loads exactly the oracle.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CheckOutcome, PartitionWorkflowResult } from '../../common/types';
import type { backfillWorkflow } from '../../workflows';
import { runCli } from '../../testkit/cli';
import { useTestEnv } from '../../testkit/env';
import { prepareTransactionsBackfill, writeSpecFile } from '../../testkit/fixtures';
import { assertTargetEqualsOracle } from '../../testkit/oracle';
import { queryRows } from '../../testkit/loader';
import { waitFor } from '../../testkit/wait';
import { withWorker } from '../../testkit/worker';
import { DuckDBInstance } from '@duckdb/node-api';

async function countRows(file: string, where = 'true'): Promise<number> {
  const db = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  const conn = await db.connect();
  try {
    const [row] = await queryRows<{ n: bigint }>(conn, {
      sql: `SELECT count(*) AS n FROM transactions WHERE ${where}`,
    });
    return Number(row!.n);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

describe('checks in a backfill', () => {
  const env = useTestEnv();

  it('a failed check fails its partition at once; a relaxed spec lands it; fixed data loads the oracle', async () => {
    const checks = [
      { name: 'non_negative', expression: 'amount >= 0' },
      {
        name: 'currency_known',
        acceptedValues: { column: 'currency', values: ['EUR', 'USD', 'GBP', 'JPY'] },
      },
    ];
    const prepared = prepareTransactionsBackfill({
      name: 'checks',
      from: '2020-01',
      to: '2020-03',
      data: { rowsPerPartition: 200 },
      extra: { checks },
    });
    const { raw, data, spec, specFile, dir, target } = prepared;
    const bad = path.join(raw, 'year=2020/month=02/part-900.ndjson');
    const badRecord = {
      transaction_id: 'bad-1',
      customer_id: 'c-bad',
      amount: '-5.00',
      currency: 'EUR',
      status: 'authorized',
      event_time: '2020-02-10T00:00:00',
      updated_at: '2020-02-10T00:00:00',
    };
    writeFileSync(bad, `${JSON.stringify(badRecord)}\n`);

    const { taskQueue } = prepared;
    await withWorker(env, { taskQueue }, async () => {
      const started = await runCli(env, taskQueue, ['start', specFile, '--wait']);
      assert.equal(started.code, 1, started.err.join('\n'));
      const summary = await env.client.workflow.getHandle<typeof backfillWorkflow>(spec.name).result();
      const feb = summary.partitions!.find((p) => p.key === '2020-02')!;
      assert.equal(feb.status, 'failed');
      assert.equal(feb.stats?.attempts, 1, 'a failed check is not retried');
      assert.match(
        feb.lastError ?? '',
        /^CheckFailedError: check "non_negative" failed: 1 of \d+ rows violate amount >= 0 \(sample: \{"transaction_id":"bad-1"/,
      );
      assert.doesNotMatch(feb.lastError ?? '', /\n/);
      // The child's result: each partition's check outcomes (a failed one's from its failure's details).
      const child = await env.client.workflow
        .getHandle(`${spec.name}/2020-02`)
        .result()
        .then(
          () => assert.fail('the child succeeded'),
          (err: { cause?: { details?: unknown[] } }) =>
            (err.cause?.details?.[0] as PartitionWorkflowResult).results['2020-02'],
        );
      assert.equal(child?.status, 'failed');
      assert.deepEqual(
        (child as { checks?: CheckOutcome[] }).checks?.map((o) => [o.name, o.outcome, o.violations]),
        [
          ['non_negative', 'failed', 1],
          ['currency_known', 'passed', 0],
        ],
      );
      const jan = await env.client.workflow
        .getHandle(`${spec.name}/2020-01`)
        .result()
        .then((r: PartitionWorkflowResult) => r.results['2020-01'] as { checks?: CheckOutcome[] });
      assert.deepEqual(
        jan.checks?.map((o) => o.outcome),
        ['passed', 'passed'],
      );
    });
    assert.equal(await countRows(target, 'month = 2'), 0, 'nothing of the failed partition landed');

    // Fixing the data: a retry with the same spec passes the check and loads exactly the oracle.
    rmSync(bad);
    await withWorker(env, { taskQueue }, async () => {
      const retry = await runCli(env, taskQueue, ['retry', spec.name, '--failed']);
      assert.equal(retry.code, 0, retry.err.join('\n'));
      await waitFor('the retry run to finish', async () => {
        const s = await runCli(env, taskQueue, ['watch', spec.name, '--json']);
        return s.code === 0 || undefined;
      });
    });
    await assertTargetEqualsOracle(target, data.oracle);

    // Relaxing the check instead: the run started with the new spec applies its checks.
    writeFileSync(bad, `${JSON.stringify(badRecord)}\n`);
    const relaxed = writeSpecFile(
      dir,
      { ...spec, checks: [{ ...checks[0], action: 'warn' }, checks[1]] },
      'relaxed.json',
    );
    await withWorker(env, { taskQueue }, async () => {
      const rerun = await runCli(env, taskQueue, [
        'start',
        relaxed,
        '--reprocess',
        'completed',
        '--partition',
        '2020-02',
        '--wait',
      ]);
      assert.equal(rerun.code, 0, rerun.err.join('\n'));
    });
    assert.equal(await countRows(target, "transaction_id = 'bad-1'"), 1);
  });
});
