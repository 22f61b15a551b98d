/**
 * Sharded partitions on the dev server with a real worker: a partition of 8 files in 4 shards loads
 * through planShards, 4 stageShard activities and one commitShards, equals the oracle and the
 * unsharded backfill's counts, and `status` shows its shards; a child continues as new between
 * shards and still ends with every shard done; cancelling a partition while its shards stage
 * writes nothing; `status` shows a running partition's shards live (its child's shardProgress query).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { retryPartitions, startBackfill } from '../../client/backfills';
import { getStatus, type BackfillStatus } from '../../client/backfill-status';
import type { BackfillSpecInput } from '../../common/spec';
import type { PartitionWorkflowResult } from '../../common/types';
import type { backfillWorkflow } from '../../workflows/backfill';
import { useTestEnv } from '../../testkit/env';
import { runCli } from '../../testkit/cli';
import { TRANSACTIONS_SCHEMA } from '../../testkit/dataset';
import { generatedTransactions, uniqueId, writeSpecFile } from '../../testkit/fixtures';
import { historyLengths, partitionCounts } from '../../testkit/inspect';
import { assertTargetEqualsOracle, queryFile } from '../../testkit/oracle';
import { monthlyTarget, specsOver, targetFile } from '../../testkit/specs';
import { waitFor } from '../../testkit/wait';
import { withWorker } from '../../testkit/worker';

/** The activities a workflow run scheduled, by name and count. */
async function scheduled(env: ReturnType<typeof useTestEnv>, workflowId: string, runId?: string) {
  const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
  const counts: Record<string, number> = {};
  for (const e of history.events ?? []) {
    const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (name) counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

const sharding = (raw: string, staging: string, extra: Partial<BackfillSpecInput['source']> = {}) => ({
  source: { uri: raw, shards: { maxFiles: 2, minPartitionBytes: 0, concurrency: 2 }, ...extra },
  staging: { uri: staging },
});

describe('sharded partitions: one partition staged by many shard activities, committed once', () => {
  const env = useTestEnv();

  it('loads a partition in 4 shards: the oracle, the unsharded counts, shards in status, staging cleaned', async () => {
    const { dir, raw, data } = generatedTransactions({
      from: '2019-01',
      to: '2019-02',
      rowsPerPartition: 160,
      filesPerPartition: 8,
      duplicateRate: 0.1,
      lateUpdateRate: 0.1,
    });
    const staging = path.join(dir, 'staging');
    const make = specsOver(raw, dir, { from: '2019-01', to: '2019-02' });
    await withWorker(env, async ({ taskQueue }) => {
      const spec = make('sharded', sharding(raw, staging));
      const sharded = await (await startBackfill(env.client, spec, { taskQueue })).result();
      const plain = await (await startBackfill(env.client, make('unsharded'), { taskQueue })).result();
      assert.deepEqual(partitionCounts(sharded), partitionCounts(plain));
      await assertTargetEqualsOracle(targetFile(spec), data.oracle);
      for (const p of sharded.partitions!) {
        assert.equal(p.stats?.shards?.total, 4, JSON.stringify(p.stats));
        assert.equal(p.stats?.shards?.done, 4);
        assert.equal(p.stats?.shards?.reused, 0);
        assert.equal(
          Object.values(p.stats.shards.workers).reduce((a, b) => a + b, 0),
          4,
        );
      }
      assert.deepEqual(await scheduled(env, `${spec.name}/2019-01`), {
        planShards: 1,
        stageShard: 4,
        commitShards: 1,
        cleanupShards: 1,
      });
      const status = await getStatus(env.client, spec.name);
      assert.deepEqual(
        status.partitions!.map((p) => [p.key, p.stats?.shards?.done, p.stats?.shards?.total]),
        [
          ['2019-01', 4, 4],
          ['2019-02', 4, 4],
        ],
      );
      // After the durable commit nothing of the partitions stays staged.
      const left = existsSync(path.join(staging, spec.name))
        ? readdirSync(path.join(staging, spec.name))
        : [];
      assert.deepEqual(left, []);
    });
  });

  it('a child that continues as new between shards ends with every shard done and the same rows', async () => {
    const { dir, raw, data } = generatedTransactions({
      from: '2019-03',
      to: '2019-03',
      rowsPerPartition: 120,
      filesPerPartition: 8,
      duplicateRate: 0.1,
    });
    const spec = specsOver(raw, dir, { from: '2019-03', to: '2019-03' })(
      'sharded-can',
      sharding(raw, path.join(dir, 'staging')),
    );
    await withWorker(env, async ({ taskQueue }) => {
      const workflowId = uniqueId('sharded-child');
      const handle = await env.client.workflow.start('partitionWorkflow', {
        taskQueue,
        workflowId,
        args: [{ backfillId: spec.name, spec, partitionKeys: ['2019-03'], shardsPerRun: 1 }],
      });
      const result = (await handle.result()) as PartitionWorkflowResult;
      const outcome = result.results['2019-03']!;
      assert.equal(outcome.status, 'succeeded');
      assert.deepEqual('shards' in outcome ? outcome.shards?.done : undefined, 4);
      // One run per shard (shardsPerRun 1), the last one commits.
      assert.ok((await historyLengths(env.client, workflowId)).length >= 4);
    });
    await assertTargetEqualsOracle(targetFile(spec), data.oracle);
  });

  it('status shows a running partition its shards done / total and the workers that staged them, live', async () => {
    const { dir, raw } = generatedTransactions({
      from: '2019-01',
      to: '2019-01',
      rowsPerPartition: 80,
      filesPerPartition: 8,
    });
    const spec = specsOver(raw, dir, { from: '2019-01', to: '2019-01' })(
      'sharded-live',
      sharding(raw, path.join(dir, 'staging')),
    );
    // The commit waits: every shard is done, the partition is still running.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const faults = { holdBeforeCommit: (key: string) => (key === '2019-01' ? held : undefined) };
    await withWorker(env, { faults }, async ({ taskQueue }) => {
      try {
        const handle = await startBackfill(env.client, spec, { taskQueue });
        const running = await waitFor('every shard done while the partition runs', async () => {
          const p = (await getStatus(env.client, spec.name)).partitions?.[0];
          return p?.status === 'running' && p.stats?.shards?.done === 4 ? p : undefined;
        });
        const shards = running.stats!.shards!;
        assert.equal(shards.total, 4);
        assert.equal(shards.reused, 0);
        assert.ok(Object.keys(shards.workers).length >= 1, JSON.stringify(shards));
        assert.equal(
          Object.values(shards.workers).reduce((a, b) => a + b, 0),
          4,
        );
        // Placeholder stats: the partition's counts are not known yet and add nothing to the totals.
        assert.equal(running.stats!.live, true);
        const json = await runCli(env, taskQueue, ['status', spec.name, '--json']);
        assert.equal(json.code, 0, json.err.join('\n'));
        const status = JSON.parse(json.out.join('\n')) as BackfillStatus;
        assert.deepEqual(
          status.partitions!.map((p) => [p.status, p.stats?.shards]),
          [['running', shards]],
        );
        assert.equal(status.totals.rowsRead, 0);
        const table = await runCli(env, taskQueue, ['status', spec.name]);
        assert.match(table.out.join('\n'), /2019-01\s*│?\s*running\s*│?\s*4\/4/);
        release();
        const summary = await handle.result();
        assert.deepEqual(
          summary.partitions!.map((p) => [p.status, p.stats?.shards?.done, p.stats?.live]),
          [['succeeded', 4, undefined]],
        );
      } finally {
        release(); // before the worker stops: a held commit would keep it from stopping
      }
    });
  });

  it('cancelling a partition while its shards stage writes nothing', async () => {
    const { dir, raw } = generatedTransactions({
      from: '2019-01',
      to: '2019-01',
      rowsPerPartition: 80,
      filesPerPartition: 8,
    });
    const spec = specsOver(raw, dir, { from: '2019-01', to: '2019-01' })(
      'sharded-cancel',
      sharding(raw, path.join(dir, 'staging')),
    );
    // Every file takes a while: the shards are still staging when the cancel comes.
    const faults = { delayAfterFileMs: () => 400 };
    await withWorker(env, { faults }, async ({ taskQueue }) => {
      const handle = await startBackfill(env.client, spec, { taskQueue });
      const childId = `${spec.name}/2019-01`;
      await waitFor('a shard running', async () => {
        const description = await env.client.workflow
          .getHandle(childId)
          .describe()
          .catch(() => undefined);
        return (description?.raw.pendingActivities ?? []).some((a) => a.activityType?.name === 'stageShard');
      });
      await handle.executeUpdate('cancelPartitions', { args: [{ partitions: ['2019-01'] }] });
      const summary = await handle.result();
      assert.deepEqual(
        summary.partitions!.map((p) => p.status),
        ['cancelled'],
      );
      const counts = await scheduled(env, childId);
      assert.equal(counts.commitShards, undefined, JSON.stringify(counts));
    });
    const target = targetFile(spec);
    assert.ok(
      !existsSync(target) || (await queryFile(target, 'SHOW TABLES')).length === 0,
      'nothing of the cancelled partition may be written',
    );
  });

  it("plan shows each partition's shards; plan and start refuse an unwritable staging location with one line, exit 2", async () => {
    const { dir, raw } = generatedTransactions({
      from: '2019-01',
      to: '2019-02',
      rowsPerPartition: 40,
      filesPerPartition: 5,
    });
    const spec = (staging: string) => ({
      name: uniqueId('sharded-cli'),
      source: { uri: raw, shards: { maxFiles: 2, minPartitionBytes: 0 } },
      staging: { uri: staging },
      schema: TRANSACTIONS_SCHEMA,
      target: monthlyTarget(path.join(dir, 't.duckdb'), 'transactions', 'transaction_id', 'updated_at'),
      range: { from: '2019-01', to: '2019-03' },
    });
    writeFileSync(path.join(dir, 'a-file'), '');
    const good = writeSpecFile(dir, spec(path.join(dir, 'staging')), 'good.json');
    const bad = writeSpecFile(dir, spec(path.join(dir, 'a-file', 'staging')), 'bad.json');
    await withWorker(env, async ({ taskQueue }) => {
      const plan = await runCli(env, taskQueue, ['plan', good, '--json']);
      assert.equal(plan.code, 0, plan.err.join('\n'));
      const planned = JSON.parse(plan.out.join('\n')) as { partitions: { key: string; shards: number }[] };
      assert.deepEqual(
        planned.partitions.map((p) => [p.key, p.shards]),
        [
          ['2019-01', 3],
          ['2019-02', 3],
          ['2019-03', 0],
        ],
      );
      const table = await runCli(env, taskQueue, ['plan', good]);
      assert.match(table.out.join('\n'), /SHARDS/);
      for (const command of ['plan', 'start']) {
        const refused = await runCli(env, taskQueue, [command, bad]);
        assert.equal(refused.code, 2, refused.err.join('\n'));
        assert.equal(refused.err.length, 1, refused.err.join('\n'));
        assert.match(refused.err[0]!, /^error: staging\.uri \/.*a-file\/staging is not writable: ENOTDIR/);
      }
    });
  });

  it('a backfill started without the CLI checks its staging location first: one line, no partition started', async () => {
    const { dir, raw } = generatedTransactions({ from: '2019-01', to: '2019-01', rowsPerPartition: 20 });
    writeFileSync(path.join(dir, 'a-file'), '');
    const spec = specsOver(raw, dir, { from: '2019-01', to: '2019-01' })(
      'sharded-probe',
      sharding(raw, path.join(dir, 'a-file', 'staging')),
    );
    await withWorker(env, async ({ taskQueue }) => {
      const handle = await startBackfill(env.client, spec, { taskQueue });
      await assert.rejects(handle.result(), (err: Error) => {
        let cause: Error = err;
        while (cause.cause instanceof Error) cause = cause.cause;
        assert.match(cause.message, /^staging\.uri \/.*a-file\/staging is not writable: ENOTDIR/);
        return true;
      });
      const counts = await scheduled(env, spec.name);
      assert.deepEqual(counts, { probeStaging: 1 });
      const history = await env.client.workflow.getHandle(spec.name).fetchHistory();
      assert.ok(!(history.events ?? []).some((e) => e.startChildWorkflowExecutionInitiatedEventAttributes));
    });
  });

  it('retry of a failed sharded partition reuses the shards that finished and reads only the failed one', async () => {
    const { dir, raw, data } = generatedTransactions({
      from: '2019-01',
      to: '2019-01',
      rowsPerPartition: 80,
      filesPerPartition: 6,
    });
    // The last file sorts last: shard 3 alone fails (a broken gzip), after shards 0-2 finished.
    const broken = path.join(raw, 'year=2019', 'month=01', 'zz.ndjson.gz');
    writeFileSync(broken, 'not gzip');
    const spec = specsOver(raw, dir, { from: '2019-01', to: '2019-01' })('sharded-retry', {
      ...sharding(raw, path.join(dir, 'staging')),
      source: { uri: raw, shards: { maxFiles: 2, minPartitionBytes: 0, concurrency: 1 } },
    });
    await withWorker(env, async ({ taskQueue }) => {
      const failed = await (await startBackfill(env.client, spec, { taskQueue })).result();
      assert.deepEqual(
        failed.partitions!.map((p) => p.status),
        ['failed'],
      );
      assert.match(failed.partitions![0]!.lastError!, /zz\.ndjson\.gz/);
      writeFileSync(broken, gzipSync(''));
      await retryPartitions(env.client, spec.name, { failed: true }, taskQueue);
      const summary = await env.client.workflow.getHandle<typeof backfillWorkflow>(spec.name).result();
      const p = summary.partitions![0]!;
      assert.equal(p.status, 'succeeded', p.lastError);
      assert.deepEqual([p.stats?.shards?.total, p.stats?.shards?.done, p.stats?.shards?.reused], [4, 4, 3]);
      assert.equal(p.stats?.filesReused, 6);
    });
    await assertTargetEqualsOracle(targetFile(spec), data.oracle);
  });
});
