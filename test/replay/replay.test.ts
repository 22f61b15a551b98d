import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { workflowBundle } from '../../testkit/worker';

const DIR = path.resolve(__dirname, '..', '..', '..', 'test', 'replay', 'histories');
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const histories = () =>
  files.map((file) => ({
    workflowId: file.replace(/\.json$/, ''),
    history: historyFromJSON(JSON.parse(readFileSync(path.join(DIR, file), 'utf8'))),
  }));

describe('recorded histories replay against the current workflow code', () => {
  it('has a history for every workflow shape', () => {
    for (const shape of [
      'normal',
      'cancelled-retried',
      'paused',
      'failed',
      'batched',
      'batched-sparse',
      'batched-small',
      'batch-commit',
      'batch-commit-failed',
      'rerun-skipped',
      'continued-first-run',
      'continued-last-run',
      'sharded',
      'sharded-probed',
      'sharded-commit-queue',
    ]) {
      assert.ok(files.includes(`backfill-${shape}.json`), `missing backfill-${shape}.json`);
    }
    for (const shape of [
      'normal',
      'cancelled',
      'failed',
      'batched',
      'batched-sparse',
      'batched-small',
      'batch-commit',
      'batch-commit-failed',
      'sharded',
      'sharded-continued-first-run',
      'sharded-continued-last-run',
      'sharded-failed',
      'sharded-commit-queue',
    ])
      assert.ok(files.includes(`partition-${shape}.json`), `missing partition-${shape}.json`);
  });

  it('replays every history without a nondeterminism error', async () => {
    const results = Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories());
    let count = 0;
    for await (const result of results) {
      count += 1;
      assert.equal(result.error, undefined, `${result.workflowId}: ${String(result.error)}`);
    }
    assert.equal(count, files.length);
  });

  it('fails when the parent issues its commands in another order without a patch', async () => {
    const mutant = await bundleWorkflowCode({
      workflowsPath: require.resolve('./mutant-workflows'),
      logger: new DefaultLogger('WARN'),
    });
    const normal = histories().find((h) => h.workflowId === 'backfill-normal')!;
    await assert.rejects(
      Worker.runReplayHistory({ workflowBundle: mutant }, normal.history),
      /Nondeterminism|DeterminismViolation/i,
    );
  });
});
