import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { startBackfill } from '../../client/backfills';
import { useTestEnv } from '../../testkit/env';
import { prepareTransactionsBackfill, tempDir } from '../../testkit/fixtures';
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
    // The partition is far below the default threshold: 0 keeps it resumable.
    const resumable = { BACKFILL_RESUME_MIN_BYTES: '0' };
    const slow = spawnWorker(env.server, taskQueue, {
      ...resumable,
      BACKFILL_FAULT_DELAY_AFTER_FILE_MS: '250',
    });
    const handle = await startBackfill(env.client, spec, { taskQueue });
    const staged = await waitFor('at least 10 files staged and heartbeated', async () => {
      const beat = (await partitionHeartbeat(env, `${spec.name}/2019-05`).catch(() => undefined)) as
        { filesStaged?: number } | undefined;
      return (beat?.filesStaged ?? 0) >= 10 ? beat!.filesStaged! : undefined;
    });
    await slow.kill('SIGKILL');
    assert.ok(staged < 40, 'killed before staging finished');

    const summary = await withWorkerProcess(env.server, taskQueue, resumable, () => handle.result());
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

  it('below BACKFILL_RESUME_MIN_BYTES nothing is written to the staging dir and the retry re-reads every file', async () => {
    const { data, spec, target, taskQueue } = prepareTransactionsBackfill({
      name: 'resume-small',
      from: '2019-06',
      to: '2019-06',
      data: { rowsPerPartition: 4000, filesPerPartition: 40 },
    });
    const stagingDir = tempDir('resume-small-staging-');
    const slow = spawnWorker(env.server, taskQueue, {
      BACKFILL_STAGING_DIR: stagingDir,
      BACKFILL_FAULT_DELAY_AFTER_FILE_MS: '250',
    });
    const handle = await startBackfill(env.client, spec, { taskQueue });
    await waitFor('the partition staging', async () => {
      const beat = (await partitionHeartbeat(env, `${spec.name}/2019-06`).catch(() => undefined)) as
        { stage?: string; filesStaged?: number } | undefined;
      return beat?.stage === 'staging' ? beat : undefined;
    });
    // 250 ms per file: about ten files are read by now.
    await new Promise((r) => setTimeout(r, 2500));
    const beat = (await partitionHeartbeat(env, `${spec.name}/2019-06`)) as {
      stage: string;
      filesStaged: number;
    };
    assert.equal(beat.stage, 'staging', 'still staging when checked');
    assert.equal(beat.filesStaged, 0, 'the heartbeat reports no resumable files');
    assert.deepEqual(
      readdirSync(stagingDir, { recursive: true }).filter((f) => String(f).endsWith('.parquet')),
      [],
    );
    await slow.kill('SIGKILL');

    const summary = await withWorkerProcess(env.server, taskQueue, { BACKFILL_STAGING_DIR: stagingDir }, () =>
      handle.result(),
    );
    const stats = summary.partitions![0]!.stats!;
    assert.equal(summary.partitions![0]!.status, 'succeeded');
    assert.equal(stats.attempts, 2);
    assert.equal(stats.filesReused, 0);
    assert.equal(stats.rowsRead, data.rows);
    await assertTargetEqualsOracle(target, data.oracle);
  });
});
