/**
 * loadPartition: lists one partition's files, stages them through the worker's staging engine with
 * the declared schema (bad records quarantined, dropped or fatal per the read mode), dedupes on the
 * keys and commits the batch to the destination in one transaction (see loading/load-partition.ts).
 * This wrapper is the Temporal side: heartbeats (with the resume data), cancellation, the staged
 * files kept for a retry, metrics, and failure types.
 */
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Context, CancelledFailure } from '@temporalio/activity';
import { BackfillError, FAILURE_TYPES } from '../common/failures';
import type { LoadPartitionInput, LoadPartitionResult } from '../common/types';
import type { LoadProgress } from '../loading/staging/resume';
import type { ActivityDeps } from './deps';
import { toApplicationFailure } from './failure';
import { runLoad } from './run-load';

export function createLoadPartition(deps: ActivityDeps) {
  return async function loadPartition(input: LoadPartitionInput): Promise<LoadPartitionResult> {
    const ctx = Context.current();
    const started = Date.now();
    const { spec, partitionKey, backfillId } = input;
    const attempt = ctx.info.attempt;
    const log = deps.logger.child({
      workflowId: ctx.info.workflowExecution?.workflowId,
      runId: ctx.info.workflowExecution?.runId,
      backfillId,
      partition: partitionKey,
      attempt,
    });
    deps.metrics?.partitionStarted();
    const progress: LoadProgress = { stage: 'listing', filesStaged: 0, fingerprint: '' };
    ctx.heartbeat(progress);
    const beat = setInterval(() => ctx.heartbeat(progress), 1000);
    // Staged files survive a crash here; only a retry of this very activity (same run and activity id) reuses them.
    const stagingDir = path.join(
      deps.stagingDir ?? path.join(tmpdir(), 'temporal-backfill-staging'),
      `${ctx.info.workflowExecution?.runId ?? 'standalone'}-${ctx.info.activityId}`,
    );
    let keepStaging = false;
    try {
      return await runLoad(deps, ctx, input, {
        log,
        progress,
        resume: { dir: stagingDir, previous: ctx.info.heartbeatDetails as LoadProgress | undefined },
        attempt,
        started,
      });
    } catch (err) {
      if (err instanceof CancelledFailure) throw err;
      log.error({ err }, 'partition load failed');
      // Keep the staged files for the next attempt unless there will be none.
      keepStaging =
        !(err instanceof BackfillError && !FAILURE_TYPES[err.type].retryable) &&
        attempt < spec.retry.maximumAttempts;
      throw toApplicationFailure(err, attempt);
    } finally {
      clearInterval(beat);
      if (!keepStaging) await rm(stagingDir, { recursive: true, force: true });
    }
  };
}
