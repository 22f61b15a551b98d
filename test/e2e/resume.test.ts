import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBackfill } from '../../client/backfills';
import { useTestEnv } from '../../testkit/env';
import { prepareTransactionsBackfill } from '../../testkit/fixtures';
import { partitionHeartbeat } from '../../testkit/inspect';
import { assertTargetEqualsOracle } from '../../testkit/oracle';
import { spawnWorker, withWorkerProcess } from '../../testkit/processes';
import { waitFor } from '../../testkit/wait';

describe('file-level resume', () => {
  const env = useTestEnv();

  it('SIGKILL in the middle of a 40-file partition: the retry re-reads fewer files and the table equals the oracle', async () => {
    const { data, spec, target, taskQueue } = prepareTransactionsBackfill({
      name: 'resume',
      from: '2019-05',
      to: '2019-05',
      data: { rowsPerPartition: 4000, filesPerPartition: 40 },
    });
    const slow = spawnWorker(env.server, taskQueue, { BACKFILL_FAULT_DELAY_AFTER_FILE_MS: '250' });
    const handle = await startBackfill(env.client, spec, { taskQueue });
    const staged = await waitFor('at least 10 files staged and heartbeated', async () => {
      const beat = (await partitionHeartbeat(env, `${spec.name}/2019-05`).catch(() => undefined)) as
        { filesStaged?: number } | undefined;
      return (beat?.filesStaged ?? 0) >= 10 ? beat!.filesStaged! : undefined;
    });
    await slow.kill('SIGKILL');
    assert.ok(staged < 40, 'killed before staging finished');

    const summary = await withWorkerProcess(env.server, taskQueue, {}, () => handle.result());
    const stats = summary.partitions![0]!.stats!;
    assert.equal(summary.partitions![0]!.status, 'succeeded');
    assert.equal(stats.attempts, 2);
    assert.equal(stats.files, 40);
    assert.ok(
      stats.filesReused >= staged,
      `reused ${stats.filesReused} staged files (heartbeat said ${staged})`,
    );
    assert.ok(stats.filesReused < 40);
    assert.equal(stats.rowsRead, data.rows, 'every row read exactly once across the two attempts');
    await assertTargetEqualsOracle(target, data.oracle);
  });
});
