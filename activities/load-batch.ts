/**
 * loadBatch: a batched child's partitions under spec commit: batch — listed, read in one scan,
 * deduped and reconciled per partition, and committed in one destination transaction (see
 * loading/load-batch.ts). All or nothing: any failure, or a cancellation, rolls back every
 * partition's writes. This wrapper is the Temporal side: heartbeats with the stage, cancellation
 * (interrupts staging, gives up a waiting commit, rolls back an open one), metrics per partition,
 * and failure types; a failure's details name the empty partitions, which stay empty.
 */
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { BackfillError, CheckFailedError } from '../common/failures';
import type { LoadBatchFailureDetails, LoadBatchInput, LoadBatchResult } from '../common/types';
import { listBatch, loadBatch as load, type BatchListing } from '../loading/load-batch';
import type { LoadProgress } from '../loading/staging/resume';
import type { ActivityDeps } from './deps';
import { toApplicationFailure } from './failure';

export function createLoadBatch(deps: ActivityDeps) {
  return async function loadBatch(input: LoadBatchInput): Promise<LoadBatchResult> {
    const ctx = Context.current();
    const started = Date.now();
    const { partitionKeys, backfillId } = input;
    const attempt = ctx.info.attempt;
    const batchKey = `${partitionKeys[0]}..${partitionKeys.at(-1)}`;
    const log = deps.logger.child({
      workflowId: ctx.info.workflowExecution?.workflowId,
      runId: ctx.info.workflowExecution?.runId,
      backfillId,
      batch: batchKey,
      attempt,
    });
    for (let i = 0; i < partitionKeys.length; i++) deps.metrics?.partitionStarted();
    // No file-level resume in a batch commit: the heartbeat only says how far the batch got.
    const progress: LoadProgress = { stage: 'listing', filesStaged: 0, fingerprint: '' };
    ctx.heartbeat(progress);
    const beat = setInterval(() => ctx.heartbeat(progress), 1000);
    let listing: BatchListing | undefined;
    try {
      listing = await listBatch(deps, input);
      const results = await load(
        deps,
        input,
        listing,
        {
          partitionKey: partitionKeys[0]!,
          log,
          signal: ctx.cancellationSignal,
          sleep: (ms) => ctx.sleep(ms),
          progress,
          resume: { dir: '' },
          metrics: deps.metrics,
          faults: deps.faults,
        },
        { number: attempt, started },
      );
      log.info({ partitions: partitionKeys.length, durationMs: Date.now() - started }, 'batch loaded');
      for (const result of Object.values(results)) {
        deps.metrics?.partitionLoaded(result);
        if (result.checks) deps.metrics?.checked?.(result.checks);
      }
      return { results };
    } catch (err) {
      const loading = listing ? listing.filter((p) => p.files.length > 0).length : partitionKeys.length;
      if (ctx.cancellationSignal.aborted) {
        log.warn('batch load cancelled; nothing was written');
        for (let i = 0; i < loading; i++) deps.metrics?.partitionCancelled();
        throw new CancelledFailure('batch load cancelled');
      }
      const type = err instanceof BackfillError ? err.type : (err as Error).name;
      if (err instanceof CheckFailedError) deps.metrics?.checked?.(err.checks);
      for (let i = 0; i < loading; i++) deps.metrics?.partitionFailed(type, Date.now() - started);
      log.error({ err }, 'batch load failed; nothing was written');
      const failure = toApplicationFailure(err, attempt);
      const details: LoadBatchFailureDetails = {
        attempt,
        ...(listing ? { empty: listing.filter((p) => p.files.length === 0).map((p) => p.partitionKey) } : {}),
        ...(err instanceof CheckFailedError
          ? { checks: err.checks, ...(err.partitionKey ? { checksOf: err.partitionKey } : {}) }
          : {}),
      };
      throw ApplicationFailure.create({
        type: failure.type ?? 'Error',
        message: failure.message,
        nonRetryable: failure.nonRetryable ?? false,
        details: [details],
        ...(failure.cause ? { cause: failure.cause } : {}),
      });
    } finally {
      clearInterval(beat);
    }
  };
}
