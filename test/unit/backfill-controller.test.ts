import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ApplicationFailure,
  CancelledFailure,
  ChildWorkflowFailure,
  RetryState,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
} from '@temporalio/common';
import { plannedKeys } from '../../common/partitions';
import { parseSpec, type BackfillSpecInput } from '../../common/spec';
import { emptyStats, type PartitionOutcome } from '../../common/types';
import { BackfillController, type ControllerInput } from '../../workflows/backfill-controller';
import { SKIPPED_REASON } from '../../workflows/child-runs';
import type { PartitionState } from '../../workflows/state';
import { unitSpecInput } from '../../testkit/specs';

const specOf = (extra: Partial<BackfillSpecInput> = {}) =>
  parseSpec(
    unitSpecInput({ name: 'ctl', range: { from: '2019-01', to: '2019-06' }, maxConcurrency: 2, ...extra }),
  );

/** A controller over 2019-01..2019-06 with a logger that records warnings and a clock tests move. */
function controllerOf(extra: Partial<BackfillSpecInput> = {}, input: Partial<ControllerInput> = {}) {
  const warnings: { message: string; attrs: unknown }[] = [];
  const clock = { now: 1000 };
  const spec = specOf(extra);
  const c = new BackfillController({
    backfillId: 'ctl',
    spec,
    planned: plannedKeys(spec),
    logger: { warn: (message, attrs) => warnings.push({ message, attrs }) },
    now: () => clock.now,
    ...input,
  });
  const byKey = (key: string) => c.state.partitions.find((p) => p.key === key)!;
  return { c, warnings, clock, byKey };
}

/** Starts the next batch as the workflow would, with a canceller that counts its calls. */
function start(c: BackfillController) {
  const canceller = { cancelled: 0, cancel: () => void canceller.cancelled++ };
  const batch = c.nextBatch();
  const started = c.startBatch(batch, canceller);
  return { batch, canceller, ...started };
}

const statuses = (c: BackfillController) => c.state.partitions.map((p) => `${p.key}:${p.status}`);
const loaded = (files: number): PartitionOutcome => ({
  status: 'succeeded',
  ...emptyStats(),
  files,
  rowsRead: files * 10,
  attempts: 1,
});

const failedChild = (results?: Record<string, PartitionOutcome>) =>
  new ChildWorkflowFailure(
    'default',
    { workflowId: 'ctl/2019-01..2019-03', runId: 'r' },
    'partitionWorkflow',
    RetryState.NON_RETRYABLE_FAILURE,
    ApplicationFailure.create({
      message: '2019-02: bad rows',
      type: 'PartitionFailed',
      nonRetryable: true,
      ...(results ? { details: [{ results }] } : {}),
    }),
  );

describe('backfill controller: control rules', () => {
  it('cancel ends pending partitions and cancels the child of running ones', () => {
    const { c, clock, byKey } = controllerOf();
    const running = start(c);
    clock.now = 2000;
    assert.deepEqual(c.cancelPartitions({ partitions: ['2019-01', '2019-03'] }), {
      affected: ['2019-01', '2019-03'],
    });
    assert.equal(running.canceller.cancelled, 1);
    assert.equal(byKey('2019-01').status, 'running', 'a running partition waits for its child to roll back');
    assert.equal(byKey('2019-03').status, 'cancelled');
    assert.equal(byKey('2019-03').finishedAt, 2000);
    assert.deepEqual(c.cancelPartitions({ partitions: ['2019-03'] }), { affected: [] }, 'already ended');
  });

  it('cancel validation wants known partitions, at least one', () => {
    const { c } = controllerOf();
    assert.throws(() => c.validateCancel({}), /name at least one partition/);
    assert.throws(
      () => c.validateCancel({ partitions: ['2019-02', '2031-01'] }),
      (err) =>
        err instanceof ApplicationFailure &&
        err.nonRetryable &&
        /unknown partition\(s\): 2031-01/.test(err.message),
    );
    c.validateCancel({ partitions: ['2019-02'] });
  });

  it('retry re-queues finished partitions, forced and in plan order; running and pending ones are refused', () => {
    const { c, byKey } = controllerOf({ maxConcurrency: 6 });
    const first = start(c);
    c.finishBatch(first.batch, { error: new Error('boom') });
    const second = start(c);
    c.finishBatch(second.batch, { result: { results: { '2019-02': loaded(1) } } });
    start(c); // 2019-03 stays running
    assert.throws(() => c.validateRetry({}), /name partitions to retry, or set failed: true/);
    assert.throws(
      () => c.validateRetry({ partitions: ['2019-03', '2019-04'] }),
      /not finished, cannot retry: 2019-03 \(running\), 2019-04 \(pending\)/,
    );
    c.validateRetry({ partitions: ['2019-02'] });
    c.validateRetry({ failed: true });

    assert.equal(c.nextPending()?.key, '2019-04');
    assert.deepEqual(c.retryPartitions({ partitions: ['2019-02'], failed: true }), {
      affected: ['2019-02', '2019-01'],
    });
    assert.equal(byKey('2019-01').status, 'pending');
    assert.equal(byKey('2019-01').runAgain, true);
    assert.equal(byKey('2019-01').lastError, undefined, 'the old error is cleared');
    assert.equal(c.nextPending()?.key, '2019-01', 'a re-queued partition runs before later ones');
    const again = start(c);
    assert.equal(again.reuse, WorkflowIdReusePolicy.ALLOW_DUPLICATE, 'a retry runs even past a closed run');
    assert.equal(byKey('2019-01').runs, 2);
  });

  it('pause stops new children, resume lets them start again', () => {
    const { c } = controllerOf();
    assert.equal(c.canStart(), true);
    c.setPaused(true);
    assert.equal(c.canStart(), false);
    assert.equal(c.progress({ partitions: false }).state, 'paused');
    c.setPaused(false);
    assert.equal(c.canStart(), true);
  });

  it('throttle: maxConcurrency bounds the children in flight, and must be 1 to 1000', () => {
    const { c } = controllerOf({ maxConcurrency: 2 });
    start(c);
    start(c);
    assert.equal(c.canStart(), false, 'two in flight at maxConcurrency 2');
    c.setMaxConcurrency({ maxConcurrency: 3 });
    assert.equal(c.canStart(), true);
    for (const bad of [0, 1001, 1.5, Number.NaN])
      assert.throws(() => c.validateConcurrency({ maxConcurrency: bad }), /integer from 1 to 1000/);
    c.validateConcurrency({ maxConcurrency: 1000 });
  });

  it('a signal that fails validation is logged with the signal name and reason, and not applied', () => {
    const { c, warnings } = controllerOf();
    let applied = 0;
    const handler = c.signalHandler(
      'setMaxConcurrency',
      (arg: { maxConcurrency: number }) => c.validateConcurrency(arg),
      () => void applied++,
    );
    handler({ maxConcurrency: 0 });
    assert.equal(applied, 0);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!.message, /signal setMaxConcurrency ignored: maxConcurrency must be an integer/);
    assert.deepEqual(warnings[0]!.attrs, {
      signal: 'setMaxConcurrency',
      reason: 'maxConcurrency must be an integer from 1 to 1000',
    });
    handler({ maxConcurrency: 5 });
    assert.equal(applied, 1);
    assert.equal(warnings.length, 1, 'a valid signal logs nothing');
  });
});

describe('backfill controller: progress and batching', () => {
  it('pages progress by status, offset and limit, and says how many matched when cut', () => {
    const { c } = controllerOf({ maxConcurrency: 6 });
    for (let i = 0; i < 3; i++) start(c);
    const all = c.progress();
    assert.equal(all.total, 6);
    assert.equal(all.partitions?.length, 6);
    assert.equal(all.matched, undefined, 'nothing was cut');
    assert.deepEqual(all.counts, { ...all.counts, running: 3, pending: 3 });
    const page = c.progress({ statuses: ['pending'], offset: 1, limit: 1 });
    assert.deepEqual(
      page.partitions?.map((p) => p.key),
      ['2019-05'],
    );
    assert.equal(page.matched, 3);
    assert.equal(c.progress({ partitions: false }).partitions, undefined);
  });

  it('batches consecutive pending partitions and stops at a gap', () => {
    const { c } = controllerOf({ partitionsPerChild: 3, maxConcurrency: 6 });
    c.cancelPartitions({ partitions: ['2019-02'] });
    const a = start(c);
    assert.deepEqual(
      a.batch.map((p) => p.key),
      ['2019-01'],
    );
    assert.equal(a.key, '2019-01');
    const b = start(c);
    assert.deepEqual(
      b.batch.map((p) => p.key),
      ['2019-03', '2019-04', '2019-05'],
    );
    assert.equal(b.key, '2019-03..2019-05');
    assert.equal(c.running, 2);
  });

  it('picks the ID reuse policy from the reprocess mode', () => {
    for (const [reprocess, policy] of [
      ['none', WorkflowIdReusePolicy.REJECT_DUPLICATE],
      ['failed', WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY],
      ['completed', WorkflowIdReusePolicy.ALLOW_DUPLICATE],
    ] as const) {
      const { c } = controllerOf({ reprocess });
      assert.equal(start(c).reuse, policy, reprocess);
    }
    const { c, byKey } = controllerOf({ reprocess: 'none' }, { runAgain: ['2019-01'] });
    assert.equal(start(c).reuse, WorkflowIdReusePolicy.ALLOW_DUPLICATE, 'forced');
    assert.equal(byKey('2019-01').runAgain, undefined, 'runAgain is spent on one start');
  });

  it('is idle when nothing runs and nothing is left, or when it drains', () => {
    const { c } = controllerOf({ partitionsPerChild: 6 });
    const all = start(c);
    assert.equal(c.idle(), false);
    c.finishBatch(all.batch, { error: new CancelledFailure('cancelled') });
    assert.equal(c.done(), true);
    assert.equal(c.idle(), true);
    assert.equal(c.running, 0);
  });

  it('drains at the history budget, earlier with more children in flight', () => {
    assert.equal(controllerOf({ maxConcurrency: 10 }).c.drainAt(), 8940);
    assert.equal(controllerOf({ maxConcurrency: 1000 }).c.drainAt(), 3000);
    assert.equal(controllerOf({}, { historyBudget: 120 }).c.drainAt(), 120);
    const { c } = controllerOf();
    c.draining = true;
    assert.equal(c.canStart(), false);
    assert.equal(c.idle(), true);
    assert.equal(c.progress().state, 'draining');
  });
});

describe('backfill controller: child outcomes', () => {
  it('a result gives each partition its status and stats', () => {
    const { c, clock, byKey } = controllerOf({ partitionsPerChild: 2 });
    const { batch } = start(c);
    clock.now = 5000;
    c.finishBatch(batch, {
      result: {
        results: { '2019-01': loaded(3), '2019-02': { status: 'empty', ...emptyStats(), attempts: 1 } },
      },
    });
    assert.equal(byKey('2019-01').status, 'succeeded');
    assert.equal(byKey('2019-01').stats?.files, 3);
    assert.equal(byKey('2019-01').finishedAt, 5000);
    assert.equal(byKey('2019-02').status, 'empty');
    assert.equal(c.progress().totals.rowsRead, 30);
    assert.equal(c.running, 0);
  });

  it('a failed child keeps the outcomes in its details and fails the rest with the cause', () => {
    const { c, byKey } = controllerOf({ partitionsPerChild: 3 });
    const { batch } = start(c);
    c.finishBatch(batch, {
      error: failedChild({
        '2019-01': loaded(2),
        '2019-02': { status: 'failed', error: 'SchemaMismatch: bad rows', attempts: 3 },
      }),
    });
    assert.equal(byKey('2019-01').status, 'succeeded');
    assert.equal(byKey('2019-02').status, 'failed');
    assert.equal(byKey('2019-02').lastError, 'SchemaMismatch: bad rows');
    assert.equal(byKey('2019-02').stats?.attempts, 3);
    assert.equal(byKey('2019-03').status, 'failed', 'not reached by the child');
    assert.equal(byKey('2019-03').lastError, 'PartitionFailed: 2019-02: bad rows');
  });

  it('a child that could not start because a kept run exists is skipped; a cancelled one is cancelled', () => {
    const { c, byKey } = controllerOf({ maxConcurrency: 3 });
    const a = start(c);
    const b = start(c);
    c.finishBatch(a.batch, {
      error: new WorkflowExecutionAlreadyStartedError('exists', 'ctl/2019-01', 'partitionWorkflow'),
    });
    c.finishBatch(b.batch, { error: new CancelledFailure('cancelled') });
    assert.equal(byKey('2019-01').status, 'skipped');
    assert.equal(byKey('2019-01').lastError, SKIPPED_REASON);
    assert.equal(byKey('2019-02').status, 'cancelled');
    c.cancelPartitions({ partitions: ['2019-01', '2019-02'] }); // the cancellers were released
  });

  it('a re-run marks the children that have a kept run skipped, unless a control message got there first', () => {
    const { c, byKey } = controllerOf({ partitionsPerChild: 2 }, { runAgain: ['2019-05'] });
    const candidates = c.skipCandidates();
    assert.deepEqual(
      candidates.map((b) => b.map((p) => p.key)),
      [
        ['2019-01', '2019-02'],
        ['2019-03', '2019-04'],
      ],
      'a batch with a forced partition is not a candidate',
    );
    c.cancelPartitions({ partitions: ['2019-03'] });
    c.markFinished(candidates, [0, 1]);
    assert.deepEqual(statuses(c).slice(0, 4), [
      '2019-01:skipped',
      '2019-02:skipped',
      '2019-03:cancelled',
      '2019-04:skipped',
    ]);
    assert.equal(byKey('2019-01').lastError, SKIPPED_REASON);
  });

  it('a summary lists every partition of a small backfill, only the troubled ones of a large one', () => {
    const small = controllerOf().c.summary({ skipped: 'off' });
    assert.equal(small.partitions?.length, 6);
    assert.equal(small.state, 'finished');
    const days = { from: '2019-01-01', to: '2021-12-31', granularity: 'day' } as const;
    const { c } = controllerOf({ range: days, partitionsPerChild: 1 });
    c.cancelPartitions({ partitions: ['2020-02-29'] });
    const large = c.summary({ skipped: 'off' });
    assert.equal(large.total, 1096);
    assert.deepEqual(
      large.partitions?.map((p) => p.key),
      ['2020-02-29'],
    );
  });
});

describe('backfill controller: continue-as-new', () => {
  it('carries the state into the next run, one generation later', () => {
    const { c } = controllerOf({ maxConcurrency: 3 });
    const a = start(c);
    c.finishBatch(a.batch, { result: { results: { '2019-01': loaded(4) } } });
    const b = start(c);
    c.finishBatch(b.batch, { error: failedChild() });
    c.retryPartitions({ partitions: ['2019-02'] });
    c.cancelPartitions({ partitions: ['2019-06'] });
    c.setMaxConcurrency({ maxConcurrency: 7 });
    c.setPaused(true);
    const carried = c.carriedState();
    assert.equal(carried.keys, undefined, 'the planned keys are not carried');

    const spec = specOf({ maxConcurrency: 3 });
    const next = new BackfillController({
      backfillId: 'ctl',
      spec,
      planned: plannedKeys(spec),
      carried: JSON.parse(JSON.stringify(carried)) as typeof carried,
      logger: { warn: () => undefined },
    });
    const strip = (p: PartitionState) => ({
      key: p.key,
      status: p.status,
      runs: p.runs,
      runAgain: p.runAgain,
      files: p.stats?.files,
      rowsRead: p.stats?.rowsRead,
      lastError: p.lastError,
    });
    assert.deepEqual(next.state.partitions.map(strip), c.state.partitions.map(strip));
    assert.equal(next.state.partitions[1]!.runAgain, true);
    assert.equal(next.state.partitions[0]!.stats?.files, 4);
    assert.equal(next.state.generation, 1);
    assert.equal(next.state.maxConcurrency, 7);
    assert.equal(next.state.paused, true);
    assert.equal(next.state.startedAt, 1000);
    next.setPaused(false);
    assert.deepEqual(
      start(next).batch.map((p) => p.key),
      ['2019-02'],
      'the re-queued partition runs first in the next run',
    );
  });
});
