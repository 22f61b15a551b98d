/**
 * The sharded partition's activities (spec source.shards; workflows/sharded-partition.ts runs them):
 * planShards splits the partition's files into shards once and writes the plan to the staging
 * location; stageShard stages one shard's typed, deduped rows and rejects as Parquet there, on any
 * worker; commitShards reads every shard's Parquet, dedupes across shards and commits the partition
 * in one transaction; cleanupShards removes the partition's staged files after a durable commit;
 * probeStaging checks a staging location is reachable and writable before anything runs.
 * The engine is loading/shards/; this is the Temporal side: heartbeats, cancellation, failure types.
 */
import { hostname } from 'node:os';
import { CancelledFailure, Context } from '@temporalio/activity';
import type { BackfillSpec } from '../common/spec';
import type {
  CleanupShardsInput,
  CommitShardsInput,
  LoadPartitionResult,
  PlanShardsInput,
  PlanShardsResult,
  ProbeStagingInput,
  StageShardInput,
  StageShardResult,
} from '../common/types';
import type { LoadHooks } from '../loading/hooks';
import { cleanupPartition } from '../loading/shards/cleanup';
import { commitShards as commit } from '../loading/shards/commit-shards';
import { probeStaging as probe, stagingLocation } from '../loading/shards/location';
import { planReader, planShards as plan } from '../loading/shards/plan';
import { stageShard as stage } from '../loading/shards/stage-shard';
import type { LoadProgress } from '../loading/staging/resume';
import type { ActivityDeps } from './deps';
import { toApplicationFailure } from './failure';

export function createShardActivities(deps: ActivityDeps) {
  const location = (spec: BackfillSpec) => stagingLocation(spec, deps.s3Defaults ?? {});
  const readPlan = planReader(location);
  const worker = deps.workerIdentity ?? `${process.pid}@${hostname()}`;

  /** Runs one step with a heartbeat, the engine's hooks, cancellation and failure types. */
  async function step<T>(
    what: string,
    fields: { backfillId?: string; partition?: string; shard?: number },
    body: (hooks: LoadHooks, attempt: number) => Promise<T>,
  ): Promise<T> {
    const ctx = Context.current();
    const attempt = ctx.info.attempt;
    const log = deps.logger.child({
      workflowId: ctx.info.workflowExecution?.workflowId,
      runId: ctx.info.workflowExecution?.runId,
      attempt,
      ...fields,
    });
    const progress: LoadProgress = { stage: 'listing', filesStaged: 0, fingerprint: '' };
    ctx.heartbeat(progress);
    const beat = setInterval(() => ctx.heartbeat(progress), 1000);
    try {
      return await body(
        {
          partitionKey: fields.partition ?? '',
          log,
          signal: ctx.cancellationSignal,
          sleep: (ms) => ctx.sleep(ms),
          progress,
          resume: { dir: '' },
          metrics: deps.metrics,
          faults: deps.faults,
        },
        attempt,
      );
    } catch (err) {
      if (ctx.cancellationSignal.aborted) {
        log.warn(`${what} cancelled; nothing was written`);
        throw new CancelledFailure(`${what} cancelled`);
      }
      log.error({ err }, `${what} failed`);
      throw toApplicationFailure(err, attempt);
    } finally {
      clearInterval(beat);
    }
  }

  return {
    planShards: (input: PlanShardsInput): Promise<PlanShardsResult> =>
      step('shard plan', { backfillId: input.backfillId, partition: input.partitionKey }, () =>
        plan({ source: deps.source, location: location(input.spec) }, input),
      ),

    stageShard: (input: StageShardInput): Promise<StageShardResult> =>
      step(
        'shard',
        { backfillId: input.backfillId, partition: input.partitionKey, shard: input.shard },
        async (hooks, attempt) => {
          const manifest = await readPlan(input.spec, input.backfillId, input.partitionKey, input.planId);
          return stage({ ...deps, location: location(input.spec), worker }, input, manifest, hooks, attempt);
        },
      ),

    commitShards: (input: CommitShardsInput): Promise<LoadPartitionResult> =>
      step(
        'sharded commit',
        { backfillId: input.backfillId, partition: input.partitionKey },
        async (hooks, attempt) => {
          const started = Date.now();
          const manifest = await readPlan(
            input.spec,
            input.backfillId,
            input.partitionKey,
            input.plan.planId,
          );
          const result = await commit({ ...deps, location: location(input.spec) }, input, manifest, hooks, {
            number: attempt,
            started,
          });
          hooks.log.info({ ...result }, 'partition loaded');
          deps.metrics?.partitionLoaded(result);
          return result;
        },
      ),

    cleanupShards: (input: CleanupShardsInput): Promise<{ removed: number }> =>
      step(
        'shard cleanup',
        { backfillId: input.backfillId, partition: input.partitionKey },
        async (hooks) => {
          const removed = await cleanupPartition(location(input.spec), input.backfillId, input.partitionKey);
          hooks.log.info({ removed }, 'staged shards removed');
          return { removed };
        },
      ),

    probeStaging: (input: ProbeStagingInput): Promise<void> =>
      step('staging probe', {}, () => probe(location(input.spec))),
  };
}
