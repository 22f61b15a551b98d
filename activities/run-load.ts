/**
 * One partition's load as an activity runs it — loadPartition alone, or loadSmallPartitions for
 * each small partition of a batch: the engine's hooks from the activity context, the outcome
 * logged and counted, a cancellation turned into Temporal's CancelledFailure. Failures are counted
 * and rethrown; what they mean (retry, or the partition's own activity) is the caller's.
 */
import { CancelledFailure, type Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import { BackfillError, CheckFailedError } from '../common/failures';
import type { LoadPartitionInput, LoadPartitionResult } from '../common/types';
import { loadPartition as load } from '../loading/load-partition';
import type { LoadProgress } from '../loading/staging/resume';
import type { ActivityDeps } from './deps';

export interface RunLoadOptions {
  log: Logger;
  progress: LoadProgress;
  /** Where staged files are kept for a retry, and what an interrupted attempt reported. */
  resume: { dir: string; previous?: LoadProgress | undefined };
  attempt: number;
  started: number;
}

export async function runLoad(
  deps: ActivityDeps,
  ctx: Context,
  input: LoadPartitionInput,
  { log, progress, resume, attempt, started }: RunLoadOptions,
): Promise<LoadPartitionResult> {
  try {
    const result = await load(
      deps,
      input,
      {
        partitionKey: input.partitionKey,
        log,
        signal: ctx.cancellationSignal,
        sleep: (ms) => ctx.sleep(ms),
        progress,
        resume,
        metrics: deps.metrics,
        faults: deps.faults,
      },
      { number: attempt, started },
    );
    if (result.status === 'succeeded') log.info({ ...result }, 'partition loaded');
    deps.metrics?.partitionLoaded(result);
    if (result.checks) deps.metrics?.checked?.(result.checks);
    return result;
  } catch (err) {
    if (ctx.cancellationSignal.aborted) {
      log.warn('partition load cancelled; nothing was written');
      deps.metrics?.partitionCancelled();
      throw new CancelledFailure('partition load cancelled');
    }
    if (err instanceof CheckFailedError) deps.metrics?.checked?.(err.checks);
    deps.metrics?.partitionFailed(
      err instanceof BackfillError ? err.type : (err as Error).name,
      Date.now() - started,
    );
    throw err;
  }
}
