/**
 * One partition's commit (or a batch's partitions in one transaction) into a DuckLake, under concurrency: the shared write (writeBatch: table
 * changes, MERGE or overwrite, tombstones, rejects — all lake tables, one transaction), plus the
 * table's partitioning when it is created and the commit guard bumped last. Another writer's commit
 * in between makes COMMIT fail with a conflict: the transaction is rolled back and re-run whole from
 * the staged batch (still on the staging connection), after a jittered, growing wait, a bounded
 * number of times; then the activity fails retryable and Temporal runs it again. Latest-wins holds
 * across writers because each re-run MERGEs against the newer snapshot with the ordering comparison.
 */
import { BackfillError, CheckFailedError } from '../../../common/failures';
import { queryRows, run } from '../../duckdb';
import type { StagedBatch } from '../../staging/batch';
import type { BatchCommitRequest, BatchCommitResult, CommitRequest, CommitResult } from '../destination';
import { writeBatches } from '../duckdb-file/commit';
import { NO_COMMIT_LOCK, type CommitLock } from './commit-lock';
import { configurationProblem, isConflict, messageOf } from './errors';
import * as lake from './sql';

export interface ConflictPolicy {
  /** Re-runs of a conflicting transaction inside one activity attempt. */
  maxRetries: number;
  /** First wait; each retry waits about `growth` times longer, up to `maxDelayMs`, jittered ±50 %. */
  baseDelayMs: number;
  growth: number;
  maxDelayMs: number;
}

export const DEFAULT_CONFLICT_POLICY: ConflictPolicy = {
  maxRetries: 30,
  baseDelayMs: 20,
  growth: 1.5,
  maxDelayMs: 2000,
};

/** The wait before re-run `retry` (1-based): growing, capped, jittered so writers drift apart. */
export function conflictDelayMs(policy: ConflictPolicy, retry: number, random: () => number = Math.random) {
  const grown = Math.min(policy.maxDelayMs, policy.baseDelayMs * policy.growth ** (retry - 1));
  return Math.round(grown * (0.5 + random()));
}

export async function commitToLake(
  alias: string,
  batch: StagedBatch,
  request: CommitRequest,
  options: LakeCommitOptions,
): Promise<CommitResult> {
  const { partitionKey, partitionValues, inTransaction, ...rest } = request;
  const result = await commitManyToLake(
    alias,
    { ...rest, partitions: [{ batch, partitionKey, partitionValues, inTransaction }] },
    options,
  );
  const { rowsWritten, ...more } = result;
  return { rowsWritten: rowsWritten[0]!, ...more };
}

export interface LakeCommitOptions {
  policy?: ConflictPolicy;
  /** Commits to the table take turns across processes (commit-lock.ts); conflicts remain possible. */
  lock?: CommitLock;
  /** Called on each conflict retried (the worker's Prometheus counter). */
  onConflict?: (seconds: number) => void;
  where: string;
}

/** One transaction for every partition of the request (a batch commit), re-run whole on a conflict. */
export async function commitManyToLake(
  alias: string,
  request: BatchCommitRequest,
  options: LakeCommitOptions,
): Promise<BatchCommitResult> {
  const policy = options.policy ?? DEFAULT_CONFLICT_POLICY;
  const { spec } = request;
  const table = spec.target.table;
  const conn = request.partitions[0]?.batch.conn;
  if (!conn) return { rowsWritten: [] };
  const lock = options.lock ?? NO_COMMIT_LOCK;
  let conflicts = 0;
  for (;;) {
    // A refused attempt costs its transaction (not its wait for the lock, counted apart) and the wait after it.
    let attempt = performance.now();
    try {
      const result = await lock.hold(
        table,
        () => {
          attempt = performance.now();
          request.onTurn?.();
          return writeBatches(
            conn,
            alias,
            {
              ...request,
              beforeCommit: async () => {
                // In the transaction, so a failed first commit leaves no guard table behind either.
                await run(conn, lake.createGuard(alias, table));
                await run(conn, lake.bumpGuard(alias, table));
                await request.beforeCommit();
              },
            },
            {
              mergeStatements: lake.lakeMergeBatch,
              tableCreated: async (c) => {
                if (spec.target.partitionColumns.length)
                  await run(c, lake.setPartitionedBy(alias, table, spec.target.partitionColumns));
                if (spec.maintenance.clusterBy.length)
                  await run(c, lake.setSortedBy(alias, table, spec.maintenance.clusterBy));
              },
            },
          );
        },
        request.signal,
      );
      const [snapshot] = await queryRows<{ id: bigint }>(conn, lake.lastCommittedSnapshot(alias));
      return {
        ...result,
        conflictsRetried: conflicts,
        ...(snapshot ? { snapshotId: Number(snapshot.id) } : {}),
      };
    } catch (err) {
      await run(conn, { sql: 'ROLLBACK' }).catch(() => undefined);
      // A failed check's message holds data (samples) that must not be read as a lake problem.
      if (err instanceof CheckFailedError) throw err;
      const problem = configurationProblem(err, options.where);
      if (problem) throw problem;
      if (!isConflict(err)) throw err;
      if (conflicts >= policy.maxRetries) {
        throw new BackfillError(
          'CommitConflictError',
          `${spec.target.table}: the commit conflicted with other writers ${conflicts + 1} times in a row; retrying the partition: ${messageOf(err).split('\n')[0]}`,
          { cause: err },
        );
      }
      conflicts += 1;
      await sleep(conflictDelayMs(policy, conflicts), request.signal);
      options.onConflict?.((performance.now() - attempt) / 1000);
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', abort);
      resolve();
    }
    function abort() {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    }
    signal?.addEventListener('abort', abort, { once: true });
  });
}
