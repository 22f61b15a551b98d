/**
 * Records the histories the replay suite checks: every workflow shape (normal, empty, failed,
 * cancelled and retried, paused, batched, continued-as-new) run on a real dev server.
 * Run after a deliberate, patched workflow change adds a shape: `npm run build && node dist/test/replay/record.js`.
 * Histories already recorded are never rewritten: they stand for backfills in flight.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { gzipSync } from 'node:zlib';
import { retryPartitions, startBackfill } from '../../client/backfills';
import { generateTransactions } from '../../testkit/dataset';
import { startTestEnv } from '../../testkit/env';
import { generatedTransactions, uniqueId } from '../../testkit/fixtures';
import { waitForPartitionStatus } from '../../testkit/inspect';
import { transactionsSpec } from '../../testkit/specs';
import { startWorker } from '../../testkit/worker';

const OUT = path.resolve(__dirname, '..', '..', '..', 'test', 'replay', 'histories');

async function save(client: Client, name: string, workflowId: string, runId?: string) {
  const file = path.join(OUT, `${name}.json`);
  if (existsSync(file)) {
    process.stdout.write(`kept ${file}\n`);
    return;
  }
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  writeFileSync(file, historyToJSON(history));
  process.stdout.write(`wrote ${file} (${history.events?.length} events)\n`);
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  const env = await startTestEnv();
  // The next load of a held partition waits before COMMIT (once), so it can be cancelled mid-load.
  const holds = new Map<string, number>();
  const take = (key: string) => {
    const ms = holds.get(key) ?? 0;
    holds.delete(key);
    return ms;
  };
  // A gated partition waits before COMMIT until its gate opens, so the backfill cannot close early.
  const gates = new Map<string, Promise<void>>();
  const commitTaskQueue = uniqueId('replay-owner');
  const worker = await startWorker(env, {
    faults: { delayBeforeCommitMs: take, holdBeforeCommit: (key) => gates.get(key) },
    commitTaskQueue,
  });
  try {
    const { dir, raw } = generatedTransactions({
      from: '2019-01',
      to: '2019-04',
      rowsPerPartition: 30,
      filesPerPartition: 2,
    });
    const spec = (name: string, extra: object = {}) =>
      transactionsSpec({
        name: uniqueId(`replay-${name}`),
        source: raw,
        target: path.join(dir, `${name}.duckdb`),
        from: '2019-01',
        to: '2019-05',
        extra,
      });

    // normal (2019-05 has no files: empty), with a child history
    const normal = spec('normal');
    await (await startBackfill(env.client, normal, { taskQueue: worker.taskQueue })).result();
    await save(env.client, 'backfill-normal', normal.name);
    await save(env.client, 'partition-normal', `${normal.name}/2019-01`);

    // a re-run that finds every child finished up front and starts none
    await (
      await startBackfill(env.client, { ...normal, reprocess: 'none' }, { taskQueue: worker.taskQueue })
    ).result();
    await save(env.client, 'backfill-rerun-skipped', normal.name);

    // cancelled then retried while running
    const cancelled = spec('cancel-retry', { maxConcurrency: 5 });
    holds.set('2019-02', 30_000);
    let openMarch!: () => void;
    gates.set('2019-03', new Promise<void>((resolve) => (openMarch = resolve)));
    const handle = await startBackfill(env.client, cancelled, { taskQueue: worker.taskQueue });
    await waitForPartitionStatus(env, cancelled.name, '2019-02', 'running');
    await new Promise((r) => setTimeout(r, 1000));
    await handle.executeUpdate('cancelPartitions', { args: [{ partitions: ['2019-02'] }] });
    await waitForPartitionStatus(env, cancelled.name, '2019-02', 'cancelled');
    await handle.executeUpdate('retryPartitions', { args: [{ partitions: ['2019-02'] }] });
    openMarch();
    gates.clear();
    await handle.result();
    await save(env.client, 'backfill-cancelled-retried', cancelled.name);
    await save(
      env.client,
      'partition-cancelled',
      `${cancelled.name}/2019-02`,
      (await firstRun(env.client, `${cancelled.name}/2019-02`)) ?? undefined,
    );

    // paused and resumed by signals
    const paused = spec('paused', { maxConcurrency: 1 });
    const pausedHandle = await startBackfill(env.client, paused, { taskQueue: worker.taskQueue });
    await pausedHandle.signal('pause');
    await new Promise((r) => setTimeout(r, 1500));
    await pausedHandle.signal('setMaxConcurrency', { maxConcurrency: 2 });
    await pausedHandle.signal('resume');
    await pausedHandle.result();
    await save(env.client, 'backfill-paused', paused.name);

    // a failed partition, and its failed child
    const broken = path.join(dir, 'broken');
    generateTransactions({
      dir: broken,
      from: '2019-01',
      to: '2019-02',
      rowsPerPartition: 10,
      filesPerPartition: 1,
    });
    writeFileSync(path.join(broken, 'year=2019/month=02/bad.ndjson.gz'), 'not gzip');
    const failed = transactionsSpec({
      name: uniqueId('replay-failed'),
      source: broken,
      target: path.join(dir, 'failed.duckdb'),
      from: '2019-01',
      to: '2019-02',
    });
    await (await startBackfill(env.client, failed, { taskQueue: worker.taskQueue })).result();
    await save(env.client, 'backfill-failed', failed.name);
    await save(env.client, 'partition-failed', `${failed.name}/2019-02`);

    // batched small partitions (patch batch-loads-small-partitions): one activity loads 2019-01 and
    // records 2019-03 empty; 2019-02's broken file fails it there, then on its own activity
    const small = transactionsSpec({
      name: uniqueId('replay-batched-small'),
      source: broken,
      target: path.join(dir, 'batched-small.duckdb'),
      from: '2019-01',
      to: '2019-03',
      extra: { partitionsPerChild: 3 },
    });
    await (await startBackfill(env.client, small, { taskQueue: worker.taskQueue })).result();
    await save(env.client, 'backfill-batched-small', small.name);
    await save(env.client, 'partition-batched-small', `${small.name}/2019-01..2019-03`);

    // the failed backfill retried once its file is fixed: a new run carrying the earlier run's
    // outcomes into its details (patch details-over-runs)
    writeFileSync(path.join(broken, 'year=2019/month=02/bad.ndjson.gz'), gzipSync('\n'));
    await retryPartitions(env.client, failed.name, { failed: true }, worker.taskQueue);
    await env.client.workflow.getHandle(failed.name).result();
    await save(env.client, 'backfill-retried-over-runs', failed.name);

    // batched
    const batched = spec('batched', { partitionsPerChild: 2 });
    await (await startBackfill(env.client, batched, { taskQueue: worker.taskQueue })).result();
    await save(env.client, 'backfill-batched', batched.name);
    await save(env.client, 'partition-batched', `${batched.name}/2019-01..2019-02`);

    // batched with an empty partition: the child lists its batch first and skips 2019-05's load
    const sparse = spec('batched-sparse', { partitionsPerChild: 5 });
    await (await startBackfill(env.client, sparse, { taskQueue: worker.taskQueue })).result();
    await save(env.client, 'backfill-batched-sparse', sparse.name);
    await save(env.client, 'partition-batched-sparse', `${sparse.name}/2019-01..2019-05`);

    // batch commit (patch batch-commit): each child loads its partitions in one loadBatch activity
    // and one transaction; 2019-05 has no files and stays empty
    const batchCommit = spec('batch-commit', { partitionsPerChild: 3, commit: 'batch' });
    await (await startBackfill(env.client, batchCommit, { taskQueue: worker.taskQueue })).result();
    await save(env.client, 'backfill-batch-commit', batchCommit.name);
    await save(env.client, 'partition-batch-commit', `${batchCommit.name}/2019-04..2019-05`);

    // a batch commit whose batch fails (2019-02's broken file was fixed above: break it again)
    writeFileSync(path.join(broken, 'year=2019/month=02/bad.ndjson.gz'), 'not gzip');
    const batchFailed = transactionsSpec({
      name: uniqueId('replay-batch-commit-failed'),
      source: broken,
      target: path.join(dir, 'batch-commit-failed.duckdb'),
      from: '2019-01',
      to: '2019-03',
      extra: { partitionsPerChild: 3, commit: 'batch' },
    });
    await (await startBackfill(env.client, batchFailed, { taskQueue: worker.taskQueue })).result();
    await save(env.client, 'backfill-batch-commit-failed', batchFailed.name);
    await save(env.client, 'partition-batch-commit-failed', `${batchFailed.name}/2019-01..2019-03`);

    // a failed check (spec checks): 2019-02 fails on its first attempt with CheckFailedError, the
    // child's failure details carry every check's outcome; and the same in a batch commit
    const failingCheck = { name: 'not_february', expression: "transaction_id NOT LIKE 'tx-2019-02%'" };
    const checked = spec('checks-failed', { checks: [failingCheck] });
    await (await startBackfill(env.client, checked, { taskQueue: worker.taskQueue })).result();
    await save(env.client, 'backfill-checks-failed', checked.name);
    await save(env.client, 'partition-checks-failed', `${checked.name}/2019-02`);
    const batchChecked = spec('batch-commit-checks-failed', {
      checks: [failingCheck],
      partitionsPerChild: 3,
      commit: 'batch',
    });
    await (await startBackfill(env.client, batchChecked, { taskQueue: worker.taskQueue })).result();
    await save(env.client, 'backfill-batch-commit-checks-failed', batchChecked.name);
    await save(env.client, 'partition-batch-commit-checks-failed', `${batchChecked.name}/2019-01..2019-03`);
    // sharded partitions (patch sharded-partitions): each child plans 2 shards (one file each),
    // stages them, commits once and cleans up; 2019-05 has no files and loads unsharded (empty)
    const shards = { maxFiles: 1, minPartitionBytes: 0, concurrency: 2 };
    const sharded = spec('sharded', {
      source: { uri: raw, shards },
      staging: { uri: path.join(dir, 'staging') },
    });
    await (await startBackfill(env.client, sharded, { taskQueue: worker.taskQueue })).result();
    await save(env.client, 'backfill-sharded', sharded.name);
    // the same with the staging probe as the parent's first activity (patch staging-probe)
    await save(env.client, 'backfill-sharded-probed', sharded.name);
    await save(env.client, 'partition-sharded', `${sharded.name}/2019-01`);
    // the same into a DuckDB file with an owner (patch commit-task-queue): commitShards and
    // maintainTarget scheduled on target.commitTaskQueue, which the same worker also polls
    const owned = spec('sharded-commit-queue', {
      source: { uri: raw, shards },
      staging: { uri: path.join(dir, 'staging') },
    });
    const ownedSpec = { ...owned, target: { ...owned.target, commitTaskQueue } };
    await (await startBackfill(env.client, ownedSpec, { taskQueue: worker.taskQueue })).result();
    await save(env.client, 'backfill-sharded-commit-queue', owned.name);
    await save(env.client, 'partition-sharded-commit-queue', `${owned.name}/2019-01`);

    // a sharded child that continues as new after each shard (shardsPerRun 1)
    const shardedChild = uniqueId('replay-sharded-continued');
    const childHandle = await env.client.workflow.start('partitionWorkflow', {
      taskQueue: worker.taskQueue,
      workflowId: shardedChild,
      args: [{ backfillId: sharded.name, spec: sharded, partitionKeys: ['2019-02'], shardsPerRun: 1 }],
    });
    await childHandle.result();
    const childRuns: string[] = [];
    for await (const wf of env.client.workflow.list({ query: `WorkflowId = '${shardedChild}'` }))
      childRuns.push(wf.runId);
    if (childRuns.length < 2) throw new Error('expected the sharded child to continue as new');
    await save(
      env.client,
      'partition-sharded-continued-first-run',
      shardedChild,
      childHandle.firstExecutionRunId,
    );
    await save(env.client, 'partition-sharded-continued-last-run', shardedChild, childRuns[0]);

    // a sharded partition whose shard fails (2019-02's broken gzip file): the partition fails with it
    const shardedFailed = transactionsSpec({
      name: uniqueId('replay-sharded-failed'),
      source: { uri: broken, shards },
      target: path.join(dir, 'sharded-failed.duckdb'),
      from: '2019-02',
      to: '2019-02',
      extra: { staging: { uri: path.join(dir, 'staging') } },
    });
    await (await startBackfill(env.client, shardedFailed, { taskQueue: worker.taskQueue })).result();
    await save(env.client, 'partition-sharded-failed', `${shardedFailed.name}/2019-02`);

    // continued as new (a tiny history budget forces several generations)
    const can = spec('continued', { maxConcurrency: 2 });
    const canHandle = await startBackfill(env.client, can, {
      taskQueue: worker.taskQueue,
      historyBudget: 15,
    });
    const summary = await canHandle.result();
    if (summary.generation < 1) throw new Error('expected continue-as-new');
    const runs: string[] = [];
    for await (const wf of env.client.workflow.list({ query: `WorkflowId = '${can.name}'` }))
      runs.push(wf.runId);
    runs.reverse();
    await save(env.client, 'backfill-continued-first-run', can.name, canHandle.firstExecutionRunId);
    await save(env.client, 'backfill-continued-last-run', can.name, runs[runs.length - 1]);

    // checks (patches partition-check-outcomes, carry-check-outcomes): 2019-03 fails a check, every
    // partition with rows warns on another; a tiny history budget carries the outcomes through
    // continue-as-new
    const continuedChecks = spec('checks', {
      maxConcurrency: 2,
      checks: [
        { name: 'not_march', expression: 'month <> 3', action: 'fail' },
        { name: 'small_amounts', range: { column: 'amount', max: 1000 }, action: 'warn' },
      ],
    });
    const checkedHandle = await startBackfill(env.client, continuedChecks, {
      taskQueue: worker.taskQueue,
      historyBudget: 15,
    });
    if ((await checkedHandle.result()).generation < 1) throw new Error('expected continue-as-new');
    const checkedRuns: { runId: string; startTime: Date }[] = [];
    for await (const wf of env.client.workflow.list({ query: `WorkflowId = '${continuedChecks.name}'` }))
      checkedRuns.push({ runId: wf.runId, startTime: wf.startTime });
    checkedRuns.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
    await save(
      env.client,
      'backfill-checks-first-run',
      continuedChecks.name,
      checkedHandle.firstExecutionRunId,
    );
    await save(env.client, 'backfill-checks-last-run', continuedChecks.name, checkedRuns.at(-1)!.runId);
    await save(env.client, 'partition-check-failed', `${continuedChecks.name}/2019-03`);
    await save(env.client, 'partition-check-warned', `${continuedChecks.name}/2019-01`);
  } finally {
    await worker.stop();
    await env.server.stop();
  }
}

async function firstRun(client: Client, workflowId: string): Promise<string | undefined> {
  let oldest: { runId: string; startTime: Date } | undefined;
  for await (const wf of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    if (!oldest || wf.startTime < oldest.startTime) oldest = { runId: wf.runId, startTime: wf.startTime };
  }
  return oldest?.runId;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
