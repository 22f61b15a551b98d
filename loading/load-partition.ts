/**
 * The partition load pipeline, as plain functions: list the partition's files, stage them in the
 * worker-local staging engine (read → stage → batch), then hand the batch to the destination, which
 * commits it in one transaction. Idempotent: running it twice leaves the same rows.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { BackfillError } from '../common/failures';
import { parsePartitionKey } from '../common/partitions';
import type { BackfillSpec } from '../common/spec';
import {
  emptyStats,
  type CheckOutcome,
  type LoadPartitionInput,
  type LoadPartitionResult,
} from '../common/types';
import { assertChecksValid } from './checks/validate';
import { checkBatch } from './checks/run';
import type { Destination, Destinations } from './destinations';
import { whenAborted, type LoadHooks } from './hooks';
import { partitionPrefix, type Source, type SourceFile } from './sources';
import { buildBatch, type StagedBatch } from './staging/batch';
import type { ReadPath } from './staging/fast-read';
import type { StagingEngine } from './staging/engine';
import { stageTyped } from './staging/stage-typed';

export interface LoadDeps {
  /** Lists and fetches raw files: one Source that picks local disk or S3 by the uri. */
  source: Source;
  staging: StagingEngine;
  destinations: Destinations;
  /** Files of one partition downloaded at once, ahead of staging; default 4. */
  downloadConcurrency?: number;
  /** Parent of the per-attempt work dirs (downloads); default the OS temp dir. */
  workDir?: string;
  /** Partitions of at least this many source bytes keep staged files for resume; default 64 MiB. */
  resumeMinBytes?: number;
  /** auto (default): clean files take the optimistic read; line: every file is read line by line. */
  readPath?: ReadPath;
}

/** See README (BACKFILL_RESUME_MIN_BYTES) and BENCHMARKS.md for how it was chosen. */
export const DEFAULT_RESUME_MIN_BYTES = 64 * 2 ** 20;

export async function loadPartition(
  deps: LoadDeps,
  input: LoadPartitionInput,
  hooks: LoadHooks,
  attempt: { number: number; started: number },
): Promise<LoadPartitionResult> {
  const { spec, partitionKey } = input;
  // Specs reach workflows without the CLI too: a check DuckDB cannot run is refused here.
  await assertChecksValid(spec);
  hooks.progress.stage = 'listing';
  const files = await deps.source.list(spec, partitionKey);
  if (files.length === 0) {
    if (spec.source.requireFiles) {
      throw new BackfillError(
        'NoFilesError',
        `no files for partition ${partitionKey} under ${spec.source.uri}/${partitionPrefix(spec, partitionKey)} (source.requireFiles is set)`,
      );
    }
    hooks.log.info('partition has no files');
    return {
      status: 'empty',
      ...emptyStats(),
      attempts: attempt.number,
      durationMs: Date.now() - attempt.started,
    };
  }
  // Opened before staging, so a target that cannot be opened fails the partition at once.
  const destination = await deps.destinations.open(spec);
  const conn = await deps.staging.connect();
  const interrupt = () => conn.interrupt();
  hooks.signal.addEventListener('abort', interrupt);
  try {
    const loadedAt = new Date(attempt.started).toISOString();
    const batch = await stagePartition(deps, conn, input, files, loadedAt, hooks);
    const { committed, checks } = await checkAndCommit(destination, batch, input, loadedAt, hooks);
    return succeeded(files, batch, batch.filesReused, committed, attempt, checks);
  } finally {
    hooks.signal.removeEventListener('abort', interrupt);
    // Closing the connection drops its TEMP work tables and frees their memory: no DROP each.
    conn.closeSync();
  }
}

/** A committed partition's result: what was listed, staged and written (the counts reconcile). */
export function succeeded(
  files: { size: number }[],
  batch: StagedBatch,
  filesReused: number,
  committed: { rowsWritten: number; conflictsRetried?: number | undefined; snapshotId?: number | undefined },
  attempt: { number: number; started: number },
  checks: CheckOutcome[] = [],
): LoadPartitionResult {
  const { rowsWritten, conflictsRetried, snapshotId } = committed;
  return {
    status: 'succeeded',
    files: files.length,
    filesReused,
    bytes: files.reduce((sum, f) => sum + f.size, 0),
    rowsRead: batch.counts.rowsRead,
    rowsAccepted: batch.rowCount,
    duplicatesRemoved: batch.counts.duplicatesRemoved,
    rowsRejected: batch.counts.rowsRejected,
    rowsWritten,
    attempts: attempt.number,
    durationMs: Date.now() - attempt.started,
    ...(conflictsRetried !== undefined ? { conflictsRetried } : {}),
    ...(snapshotId !== undefined ? { snapshotId } : {}),
    ...(checks.length ? { checks } : {}),
  };
}

/**
 * The spec's checks on the staged, deduped batch, then its commit (relative row counts inside the
 * commit's transaction): a failed check throws before anything is written or rolls the commit back.
 * Shared by a partition's load and a sharded partition's commit.
 */
export async function checkAndCommit(
  destination: Destination,
  batch: StagedBatch,
  input: LoadPartitionInput,
  loadedAt: string,
  hooks: LoadHooks,
) {
  const { spec, partitionKey } = input;
  hooks.progress.stage = 'checking';
  // Before the commit: a failed check throws here and nothing is written; drops leave the batch.
  const checksStarted = Date.now();
  const checks = await checkBatch(batch, spec, partitionKey);
  if (spec.checks.length) hooks.metrics?.checksRan?.(Date.now() - checksStarted);
  const committed = await commitBatch(destination, batch, input, loadedAt, hooks, checks.inTransaction);
  return { committed, checks: checks.outcomes };
}

/** Files → staged records → typed stage table (rejects kept) → deduped batch. */
async function stagePartition(
  deps: LoadDeps,
  conn: DuckDBConnection,
  input: LoadPartitionInput,
  files: SourceFile[],
  loadedAt: string,
  hooks: LoadHooks,
): Promise<StagedBatch & { filesReused: number }> {
  const { spec, partitionKey, backfillId } = input;
  const resumeMinBytes = deps.resumeMinBytes ?? DEFAULT_RESUME_MIN_BYTES;
  const { schema, counts, filesReused } = await stageTyped(deps, conn, spec, files, resumeMinBytes, hooks);
  const batch = await buildBatch(conn, {
    spec,
    schema,
    counts,
    partitionKey,
    partitionValues: partitionValuesOf(spec, partitionKey),
    backfillId,
    loadedAt,
  });
  return { ...batch, filesReused };
}

/** The destination's commit, with the fault hooks tests use to hold or delay it. */
export async function commitBatch(
  destination: Destination,
  batch: StagedBatch,
  input: LoadPartitionInput,
  loadedAt: string,
  hooks: LoadHooks,
  inTransaction?: (conn: DuckDBConnection, catalog: string) => Promise<void>,
) {
  const { spec, partitionKey } = input;
  // Until its turn comes (another partition of this process, or another worker, is committing).
  hooks.progress.stage = 'waiting to commit';
  const delay = hooks.faults?.delayBeforeCommitMs?.(partitionKey) ?? 0;
  const started = Date.now();
  const result = await destination.commit(batch, {
    spec,
    backfillId: input.backfillId,
    partitionKey,
    partitionValues: partitionValuesOf(spec, partitionKey),
    loadedAt,
    keepRejects: keepsRejects(spec),
    signal: hooks.signal,
    ...(inTransaction ? { inTransaction } : {}),
    onTurn: () => void (hooks.progress.stage = 'committing'),
    beforeCommit: async () => {
      if (delay > 0) await hooks.sleep(delay);
      const hold = hooks.faults?.holdBeforeCommit?.(partitionKey);
      if (hold) await Promise.race([hold, whenAborted(hooks.signal)]);
      hooks.signal.throwIfAborted();
    },
  });
  hooks.metrics?.merged(Date.now() - started);
  return result;
}

/**
 * Rejects are quarantined except under dropmalformed (dropped and counted). Under failfast a bad
 * record fails the load before this, so only the rows a drop check moved can be there.
 */
export const keepsRejects = (spec: BackfillSpec) => spec.readMode !== 'dropmalformed';

export const partitionValuesOf = (spec: BackfillSpec, partitionKey: string) =>
  parsePartitionKey(partitionKey, spec.range.granularity);
