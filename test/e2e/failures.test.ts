import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { backfillWorkflow } from '../../workflows';
import { runCli } from '../../testkit/cli';
import { useTestEnv } from '../../testkit/env';
import { prepareTransactionsBackfill } from '../../testkit/fixtures';
import { assertTargetEqualsOracle } from '../../testkit/oracle';
import { waitFor } from '../../testkit/wait';
import { withWorker } from '../../testkit/worker';

describe('a broken file fails its partition after the retries; retry --failed completes it once fixed', () => {
  const env = useTestEnv();

  it('shows the error in status, keeps the other partitions, and retries only the failed one', async () => {
    const { raw, data, spec, specFile, target } = prepareTransactionsBackfill({
      name: 'broken',
      from: '2020-01',
      to: '2020-04',
      data: { rowsPerPartition: 800 },
    });
    // A re-delivery of an existing file, gzipped and cut short: unreadable until fixed, adds no new rows once fixed.
    const original = readFileSync(path.join(raw, 'year=2020/month=02/part-001.ndjson'));
    const gz = gzipSync(original);
    const broken = path.join(raw, 'year=2020/month=02/part-009.ndjson.gz');
    writeFileSync(broken, gz.subarray(0, Math.floor(gz.length / 2)));

    await withWorker(env, async ({ taskQueue }) => {
      // Started as a user would: the CLI with --wait, which must exit 1 when a partition failed.
      const started = await runCli(env, taskQueue, ['start', specFile, '--wait']);
      assert.equal(started.code, 1, started.err.join('\n'));
      assert.match(started.out.join('\n'), /4 partitions: 3 succeeded, 1 failed/);
      const summary = await env.client.workflow.getHandle<typeof backfillWorkflow>(spec.name).result();
      const feb = summary.partitions!.find((p) => p.key === '2020-02')!;
      assert.equal(feb.status, 'failed');
      assert.equal(feb.stats?.attempts, 3, 'all three attempts of the retry policy were used');
      assert.match(
        feb.lastError ?? '',
        /^SourceReadError: cannot read year=2020\/month=02\/part-009\.ndjson\.gz: /,
      );
      assert.equal(summary.counts.succeeded, 3);

      const status = await runCli(env, taskQueue, ['status', spec.name, '--json']);
      assert.equal(status.code, 0);
      const parsed = JSON.parse(status.out.join('\n')) as {
        partitions: { key: string; status: string; lastError?: string }[];
      };
      assert.match(
        parsed.partitions.find((p) => p.key === '2020-02')!.lastError ?? '',
        /part-009\.ndjson\.gz/,
      );
      const table = await runCli(env, taskQueue, ['status', spec.name]);
      assert.match(table.out.join('\n'), /2020-02 .*failed/);

      writeFileSync(broken, gz);
      const retry = await runCli(env, taskQueue, ['retry', spec.name, '--failed']);
      assert.equal(retry.code, 0, retry.err.join('\n'));
      assert.deepEqual(retry.out, ['retrying: 2020-02 (in a new run of the backfill)']);
      const after = await waitFor('the retry run to finish', async () => {
        const s = await runCli(env, taskQueue, ['watch', spec.name, '--json']);
        return s.code === 0
          ? (JSON.parse(s.out.join('')) as { partitions: { key: string; status: string; run: number }[] })
          : undefined;
      });
      // Each partition's latest outcome over both runs: the retry's skips do not hide the first run's loads.
      assert.deepEqual(
        Object.fromEntries(after.partitions.map((p) => [p.key, `${p.status} in run ${p.run}`])),
        {
          '2020-01': 'succeeded in run 1',
          '2020-02': 'succeeded in run 2',
          '2020-03': 'succeeded in run 1',
          '2020-04': 'succeeded in run 1',
        },
      );
    });
    await assertTargetEqualsOracle(target, data.oracle);
  });
});
