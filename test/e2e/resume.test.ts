import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { useTestEnv, type TestEnv } from '../../testkit/env';
import { tempDir } from '../../testkit/fixtures';
import { partitionHeartbeat } from '../../testkit/inspect';
import { waitFor } from '../../testkit/wait';
import { startOnFirstWorker } from '../../testkit/worker-handover';

/** One month of 4000 rows in 40 files, started on a first worker that takes 250 ms a file. */
const startFortyFiles = (env: TestEnv, name: string, month: string, firstWorkerEnv: Record<string, string>) =>
  startOnFirstWorker(env, {
    name,
    from: month,
    to: month,
    data: { rowsPerPartition: 4000, filesPerPartition: 40 },
    firstWorkerEnv: { ...firstWorkerEnv, BACKFILL_FAULT_DELAY_AFTER_FILE_MS: '250' },
  });

describe('file-level resume', () => {
  const env = useTestEnv();

  it('SIGKILL in the middle of a 40-file partition: the retry re-reads fewer files and the table equals the oracle', async () => {
    // The partition is far below the default threshold: 0 keeps it resumable.
    const resumable = { BACKFILL_RESUME_MIN_BYTES: '0' };
    const run = await startFortyFiles(env, 'resume', '2019-05', resumable);
    const { backfill } = run;
    const staged = await waitFor('at least 10 files staged and heartbeated', async () => {
      const beat = (await partitionHeartbeat(env, `${backfill.spec.name}/2019-05`).catch(() => undefined)) as
        { filesStaged?: number } | undefined;
      return (beat?.filesStaged ?? 0) >= 10 ? beat!.filesStaged! : undefined;
    });
    await run.first.kill('SIGKILL');
    assert.ok(staged < 40, 'killed before staging finished');

    const summary = await run.finishOnNewWorker(resumable);
    const stats = summary.partitions![0]!.stats!;
    assert.equal(summary.partitions![0]!.status, 'succeeded');
    assert.equal(stats.attempts, 2);
    assert.equal(stats.files, 40);
    assert.ok(
      stats.filesReused >= staged,
      `reused ${stats.filesReused} staged files (heartbeat said ${staged})`,
    );
    assert.ok(stats.filesReused < 40);
    assert.equal(stats.rowsRead, backfill.data.rows, 'every row read exactly once across the two attempts');
  });

  it('below BACKFILL_RESUME_MIN_BYTES nothing is written to the staging dir and the retry re-reads every file', async () => {
    const staging = { BACKFILL_STAGING_DIR: tempDir('resume-small-staging-') };
    const run = await startFortyFiles(env, 'resume-small', '2019-06', staging);
    const { backfill } = run;
    const childId = `${backfill.spec.name}/2019-06`;
    await waitFor('the partition staging', async () => {
      const beat = (await partitionHeartbeat(env, childId).catch(() => undefined)) as
        { stage?: string; filesStaged?: number } | undefined;
      return beat?.stage === 'staging' ? beat : undefined;
    });
    // 250 ms per file: about ten files are read by now.
    await new Promise((r) => setTimeout(r, 2500));
    const beat = (await partitionHeartbeat(env, childId)) as { stage: string; filesStaged: number };
    assert.equal(beat.stage, 'staging', 'still staging when checked');
    assert.equal(beat.filesStaged, 0, 'the heartbeat reports no resumable files');
    assert.deepEqual(
      readdirSync(staging.BACKFILL_STAGING_DIR, { recursive: true }).filter((f) =>
        String(f).endsWith('.parquet'),
      ),
      [],
    );
    await run.first.kill('SIGKILL');

    const summary = await run.finishOnNewWorker(staging);
    const stats = summary.partitions![0]!.stats!;
    assert.equal(summary.partitions![0]!.status, 'succeeded');
    assert.equal(stats.attempts, 2);
    assert.equal(stats.filesReused, 0);
    assert.equal(stats.rowsRead, backfill.data.rows);
  });
});
