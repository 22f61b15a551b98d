/**
 * loadSmallPartitions: for a batched child, lists all its partitions, records the empty ones and
 * loads the small ones one after another, each in its own transaction through the same pipeline
 * as loadPartition. It saves each of them an activity round trip and a workflow task (the
 * orchestration cost of a tiny partition exceeds its load). It never fails a partition: one whose
 * load fails, or that it has no time left for, is left out of the result and gets its own
 * loadPartition activity with the spec's retry policy. It stops taking new partitions once half
 * its start-to-close timeout has passed, so it never times out for having been given many.
 */
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CancelledFailure, Context } from '@temporalio/activity';
import { mapLimit } from '../common/map-limit';
import { classifyListing } from '../common/small-partitions';
import {
  emptyStats,
  type LoadPartitionResult,
  type LoadSmallPartitionsInput,
  type LoadSmallPartitionsResult,
} from '../common/types';
import type { LoadProgress } from '../loading/staging/resume';
import type { ActivityDeps } from './deps';
import { runLoad } from './run-load';

interface SmallBatchProgress {
  settled: number;
  partition?: string;
  progress?: LoadProgress;
}

/** Listings in flight at once: S3 LIST calls are cheap but not free. */
const LISTING_CONCURRENCY = 8;

export function createLoadSmallPartitions(deps: ActivityDeps) {
  return async function loadSmallPartitions(
    input: LoadSmallPartitionsInput,
  ): Promise<LoadSmallPartitionsResult> {
    const ctx = Context.current();
    const started = Date.now();
    const { spec, partitionKeys, backfillId } = input;
    const listings = await mapLimit(partitionKeys, LISTING_CONCURRENCY, (key) => deps.source.list(spec, key));
    const results: Record<string, LoadPartitionResult> = {};
    // What the UI shows: how many are settled, and the partition loading now with its stage.
    const beatDetails: SmallBatchProgress = { settled: 0 };
    ctx.heartbeat(beatDetails);
    const beat = setInterval(() => ctx.heartbeat(beatDetails), 1000);
    const budgetMs = ctx.info.startToCloseTimeoutMs / 2;
    try {
      for (const [i, partitionKey] of partitionKeys.entries()) {
        const kind = classifyListing(listings[i]!, input.maxBytes, spec.source.requireFiles);
        if (kind === 'empty') {
          results[partitionKey] = { status: 'empty', ...emptyStats(), attempts: 1 };
          deps.metrics?.partitionStarted();
          deps.metrics?.partitionLoaded(results[partitionKey]);
        } else if (kind === 'small' && Date.now() - started < budgetMs) {
          beatDetails.partition = partitionKey;
          beatDetails.progress = { stage: 'listing', filesStaged: 0, fingerprint: '' };
          const result = await loadOne(deps, ctx, { backfillId, spec, partitionKey }, beatDetails.progress);
          if (!result) continue;
          results[partitionKey] = result;
        } else continue;
        beatDetails.settled += 1;
        ctx.heartbeat(beatDetails);
      }
    } finally {
      clearInterval(beat);
    }
    deps.logger.debug(
      { backfillId, partitions: partitionKeys.length, settled: Object.keys(results).length },
      'small partitions of a batch loaded',
    );
    return { results };
  };
}

/** One partition, as loadPartition would; undefined if it failed (its own activity retries it). */
async function loadOne(
  deps: ActivityDeps,
  ctx: Context,
  input: { backfillId: string; spec: LoadSmallPartitionsInput['spec']; partitionKey: string },
  progress: LoadProgress,
): Promise<LoadPartitionResult | undefined> {
  const started = Date.now();
  const { partitionKey } = input;
  const log = deps.logger.child({
    workflowId: ctx.info.workflowExecution?.workflowId,
    runId: ctx.info.workflowExecution?.runId,
    backfillId: input.backfillId,
    partition: partitionKey,
  });
  deps.metrics?.partitionStarted();
  // Small partitions stay under the resume threshold, so nothing is kept here for a retry.
  const stagingDir = path.join(
    deps.stagingDir ?? path.join(tmpdir(), 'temporal-backfill-staging'),
    `${ctx.info.workflowExecution?.runId ?? 'standalone'}-${ctx.info.activityId}-${partitionKey}`,
  );
  try {
    return await runLoad(deps, ctx, input, {
      log,
      progress,
      resume: { dir: stagingDir },
      attempt: 1,
      started,
    });
  } catch (err) {
    if (err instanceof CancelledFailure) throw err;
    // Not a failure yet: the partition's own activity runs it again under the retry policy.
    log.warn({ err }, 'partition load failed in its batch; it will load on its own');
    return undefined;
  } finally {
    await rm(stagingDir, { recursive: true, force: true });
  }
}
