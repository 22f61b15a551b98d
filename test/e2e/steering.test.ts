import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { getStatus, startBackfill } from '../../client/backfills';
import type { BackfillSpecInput } from '../../common/spec';
import { runCli } from '../../testkit/cli';
import { useTestEnv, type TestEnv } from '../../testkit/env';
import { withWorkerProcess } from '../../testkit/processes';
import { prepareTransactionsBackfill, uniqueId } from '../../testkit/fixtures';
import { partitionCounts, waitForPartitionStatus } from '../../testkit/inspect';
import { specsOver } from '../../testkit/specs';
import { sleep, waitFor } from '../../testkit/wait';
import { withWorker } from '../../testkit/worker';

/** Samples progress until the backfill closes; returns the largest running count seen and the statuses over time. */
async function sample(env: TestEnv, id: string, until: () => boolean, intervalMs = 100) {
  const seen: number[] = [];
  while (!until()) {
    const s = await getStatus(env.client, id, { partitions: false });
    seen.push(s.counts.running);
    if (s.workflowStatus !== 'RUNNING') break;
    await sleep(intervalMs);
  }
  return seen;
}

describe('steering a running backfill', () => {
  const env = useTestEnv();

  /** One small file a month: the backfill's control flow is under test, not the loading. */
  const smallData = { rowsPerPartition: 50, filesPerPartition: 1 };
  const smallSpec = (name: string, [from, to]: [string, string], extra: Partial<BackfillSpecInput> = {}) =>
    prepareTransactionsBackfill({ name, from, to, data: smallData, extra }).spec;

  it('throttle from 2 to 8 raises the running children without a restart (CLI), and setMaxConcurrency works as a raw signal', async () => {
    const spec = smallSpec('throttle', ['2010-01', '2011-12'], { maxConcurrency: 2 });
    const options = { faults: { delayBeforeCommitMs: () => 1500 }, maxConcurrentActivities: 20 };
    await withWorker(env, options, async ({ taskQueue }) => {
      const handle = await startBackfill(env.client, spec, { taskQueue });
      await waitFor(
        'two running',
        async () => (await getStatus(env.client, spec.name, { partitions: false })).counts.running === 2,
      );
      let samples = 0;
      const before = await sample(env, spec.name, () => ++samples > 10);
      assert.ok(
        Math.max(...before) <= 2,
        `never more than 2 before the throttle (saw ${Math.max(...before)})`,
      );
      const cli = await runCli(env, taskQueue, ['throttle', spec.name, '--max-concurrent', '8']);
      assert.equal(cli.code, 0, cli.err.join('\n'));
      const afterThrottle = await waitFor('more than 2 running', async () => {
        const s = await getStatus(env.client, spec.name, { partitions: false });
        return s.counts.running > 2 ? s : undefined;
      });
      assert.equal(afterThrottle.maxConcurrency, 8);
      assert.ok(afterThrottle.counts.running <= 8);
      await handle.signal('setMaxConcurrency', { maxConcurrency: 3 });
      await waitFor(
        'the signal to apply',
        async () => (await getStatus(env.client, spec.name, { partitions: false })).maxConcurrency === 3,
      );
      const summary = await handle.result();
      assert.equal(summary.counts.succeeded, 24);
    });
  });

  it('pause (CLI) starts no child until resume (raw signal); pause as a raw signal too', async () => {
    const spec = smallSpec('pause', ['2012-01', '2012-08'], { maxConcurrency: 2 });
    await withWorker(env, { faults: { delayBeforeCommitMs: () => 700 } }, async ({ taskQueue }) => {
      const handle = await startBackfill(env.client, spec, { taskQueue });
      await waitFor(
        'a first child',
        async () => (await getStatus(env.client, spec.name, { partitions: false })).counts.running > 0,
      );
      const paused = await runCli(env, taskQueue, ['pause', spec.name]);
      assert.equal(paused.code, 0, paused.err.join('\n'));
      const drained = await waitFor('running children to finish', async () => {
        const s = await getStatus(env.client, spec.name);
        return s.counts.running === 0 ? s : undefined;
      });
      assert.equal(drained.state, 'paused');
      const startedWhilePaused = drained.partitions!.filter((p) => p.runs > 0).length;
      await sleep(2500);
      const still = await getStatus(env.client, spec.name);
      assert.equal(
        still.partitions!.filter((p) => p.runs > 0).length,
        startedWhilePaused,
        'no child started while paused',
      );
      assert.ok(still.counts.pending > 0);
      await handle.signal('resume');
      await waitFor(
        'running again',
        async () => (await getStatus(env.client, spec.name, { partitions: false })).counts.running > 0,
      );
      await handle.signal('pause');
      await waitFor(
        'paused by signal',
        async () => (await getStatus(env.client, spec.name, { partitions: false })).state === 'paused',
      );
      const resumed = await runCli(env, taskQueue, ['resume', spec.name]);
      assert.equal(resumed.code, 0);
      const summary = await handle.result();
      assert.equal(summary.counts.succeeded, 8);
    });
  });

  it('cancel and retry as raw signals (what the Temporal UI sends)', async () => {
    const spec = smallSpec('signals', ['2013-01', '2013-03'], { maxConcurrency: 3 });
    let first = true;
    // 2013-03 waits for the retry signal, so the backfill cannot close before the retry arrives.
    let releaseMarch!: () => void;
    const march = new Promise<void>((resolve) => (releaseMarch = resolve));
    const faults = {
      delayBeforeCommitMs: (key: string) => (key === '2013-02' && first ? ((first = false), 60_000) : 0),
      holdBeforeCommit: (key: string) => (key === '2013-03' ? march : undefined),
    };
    await withWorker(env, { faults }, async ({ taskQueue }) => {
      try {
        const handle = await startBackfill(env.client, spec, { taskQueue });
        await waitForPartitionStatus(env, spec.name, '2013-02', 'running');
        await sleep(500);
        await handle.signal('cancelPartitions', { partitions: ['2013-02'] });
        await waitForPartitionStatus(env, spec.name, '2013-02', 'cancelled');
        await handle.signal('retryPartitions', { failed: true });
        releaseMarch();
        const summary = await handle.result();
        const feb = summary.partitions!.find((p) => p.key === '2013-02')!;
        assert.equal(feb.status, 'succeeded');
        assert.equal(feb.runs, 2);
      } finally {
        // Before the worker stops: a held commit would keep it from stopping.
        releaseMarch();
      }
    });
  });

  it('a raw signal that fails validation is logged by the worker as a warning, and the run goes on', async () => {
    const spec = smallSpec('bad-signal', ['2016-01', '2016-12'], { maxConcurrency: 1 });
    const taskQueue = uniqueId('tq');
    await withWorkerProcess(env.server, taskQueue, { LOG_LEVEL: 'warn' }, async (worker) => {
      const handle = await startBackfill(env.client, spec, { taskQueue });
      await handle.signal('setMaxConcurrency', { maxConcurrency: 0 });
      await handle.signal('cancelPartitions', { partitions: ['1999-01'] });
      const warnings = await waitFor('both warnings', () => {
        const lines = worker.logs
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .filter((l) => typeof l.signal === 'string');
        return Promise.resolve(lines.length >= 2 ? lines : undefined);
      });
      assert.deepEqual(warnings.map((l) => [l.level, l.signal, l.workflowId, l.msg]).sort(), [
        [40, 'cancelPartitions', spec.name, 'signal cancelPartitions ignored: unknown partition(s): 1999-01'],
        [
          40,
          'setMaxConcurrency',
          spec.name,
          'signal setMaxConcurrency ignored: maxConcurrency must be an integer from 1 to 1000',
        ],
      ]);
      const summary = await handle.result();
      assert.equal(summary.counts.succeeded, 12, 'the bad signals changed nothing');
      assert.equal(summary.maxConcurrency, 1);
    });
  });

  it('reprocess modes on a second run: none, failed and completed run exactly the expected partitions', async () => {
    const { raw, spec: base } = prepareTransactionsBackfill({
      name: 'reprocess',
      from: '2014-01',
      to: '2014-04',
      data: smallData,
    });
    const broken = path.join(raw, 'year=2014/month=03/zz-broken.ndjson.gz');
    writeFileSync(broken, 'not gzip at all');
    /** Child starts and up-front checks in the latest parent run's history. */
    const parentCommands = async (id: string) => {
      const events = (await env.client.workflow.getHandle(id).fetchHistory()).events ?? [];
      return {
        children: events.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes).length,
        checks: events.filter(
          (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'findFinishedChildren',
        ).length,
      };
    };
    const ran = (s: { partitions?: { key: string; status: string }[] }) =>
      s.partitions!.filter((p) => p.status !== 'skipped').map((p) => p.key);
    await withWorker(env, async ({ taskQueue }) => {
      const first = await (await startBackfill(env.client, base, { taskQueue })).result();
      assert.deepEqual(ran(first), ['2014-01', '2014-02', '2014-03', '2014-04']);
      assert.equal(first.counts.failed, 1, JSON.stringify(first.partitions));

      const none = await (
        await startBackfill(env.client, { ...base, reprocess: 'none' }, { taskQueue })
      ).result();
      assert.deepEqual(ran(none), []);
      // Found finished up front: no child start was even attempted.
      assert.deepEqual(await parentCommands(base.name), { children: 0, checks: 1 });

      rmSync(broken);
      const failed = await (
        await startBackfill(env.client, { ...base, reprocess: 'failed' }, { taskQueue })
      ).result();
      assert.deepEqual(ran(failed), ['2014-03']);
      assert.deepEqual(await parentCommands(base.name), { children: 1, checks: 1 });
      assert.equal(failed.counts.succeeded, 1);

      const completed = await (
        await startBackfill(env.client, { ...base, reprocess: 'completed' }, { taskQueue })
      ).result();
      assert.deepEqual(ran(completed), ['2014-01', '2014-02', '2014-03', '2014-04']);
    });
  });

  it('batching keeps stats per partition, equal to the unbatched run; --backwards runs newest first', async () => {
    const {
      dir,
      raw,
      spec: plainSpec,
    } = prepareTransactionsBackfill({
      name: 'plain',
      from: '2015-01',
      to: '2015-12',
      data: { rowsPerPartition: 120, duplicateRate: 0.2 },
    });
    // More backfills of the same files, each into its own target.
    const make = specsOver(raw, dir, { from: '2015-01', to: '2015-12' });
    await withWorker(env, async ({ taskQueue }) => {
      const plain = await (await startBackfill(env.client, plainSpec, { taskQueue })).result();
      const batchedSpec = make('batched', { partitionsPerChild: 5 });
      const batched = await (await startBackfill(env.client, batchedSpec, { taskQueue })).result();
      assert.deepEqual(partitionCounts(batched), partitionCounts(plain));
      const children: string[] = [];
      for await (const wf of env.client.workflow.list({
        query: `BackfillId = '${batchedSpec.name}' AND WorkflowType = 'partitionWorkflow'`,
      }))
        children.push(wf.workflowId);
      assert.deepEqual(children.sort(), [
        `${batchedSpec.name}/2015-01..2015-05`,
        `${batchedSpec.name}/2015-06..2015-10`,
        `${batchedSpec.name}/2015-11..2015-12`,
      ]);

      const backwards = await (
        await startBackfill(env.client, make('backwards', { order: 'newest', maxConcurrency: 1 }), {
          taskQueue,
        })
      ).result();
      const byStart = [...backwards.partitions!]
        .sort((a, b) => a.startedAt! - b.startedAt!)
        .map((p) => p.key);
      assert.deepEqual(byStart, [...byStart].sort().reverse());
    });
  });
});
