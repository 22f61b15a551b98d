/**
 * A batch commit (spec commit: batch): a batched child's partitions loaded as one. Every partition's
 * files are listed, then staged together through the same phases as a partition load (stageFiles:
 * one fast scan over every clean file, the line-level read per file otherwise; discoverColumns;
 * stageRecords, with the same typing and reject rules), deduped and reconciled per partition
 * (partitioned-batch.ts), and committed in ONE destination transaction (commitMany): all of the
 * batch's partitions or none. No file-level resume: a retry reads the batch again (the option is
 * meant for many small partitions, which are below the resume threshold anyway).
 */
import { BackfillError } from '../common/failures';
import { mapLimit } from '../common/map-limit';
import { parsePartitionKey } from '../common/partitions';
import type { BackfillSpec } from '../common/spec';
import { emptyStats, type LoadBatchInput, type LoadPartitionResult } from '../common/types';
import type { Destination } from './destinations';
import { whenAborted, type LoadHooks } from './hooks';
import { checkBatch, type BatchChecks } from './checks/run';
import { assertChecksValid } from './checks/validate';
import { keepsRejects, type LoadDeps } from './load-partition';
import { partitionPrefix, type SourceFile } from './sources';
import type { StagedBatch } from './staging/batch';
import { buildPartitionedBatches } from './staging/partitioned-batch';
import { stageTyped } from './staging/stage-typed';

/** Listings in flight at once: S3 LIST calls are cheap but not free. */
const LISTING_CONCURRENCY = 8;

/** Every partition's files, in the order of the keys. */
export type BatchListing = { partitionKey: string; files: SourceFile[] }[];

/**
 * Lists the batch's partitions. A partition without files is empty (its status says so whatever
 * happens to the rest), unless the spec requires files: then the whole batch fails.
 */
export async function listBatch(
  deps: Pick<LoadDeps, 'source'>,
  input: LoadBatchInput,
): Promise<BatchListing> {
  const { spec } = input;
  const listings = await mapLimit(input.partitionKeys, LISTING_CONCURRENCY, (key) =>
    deps.source.list(spec, key),
  );
  const seen = new Map<string, string>();
  const listing = input.partitionKeys.map((partitionKey, i) => ({ partitionKey, files: listings[i]! }));
  for (const { partitionKey, files } of listing) {
    if (files.length === 0 && spec.source.requireFiles) {
      throw new BackfillError(
        'NoFilesError',
        `no files for partition ${partitionKey} under ${spec.source.uri}/${partitionPrefix(spec, partitionKey)} (source.requireFiles is set)`,
      );
    }
    // A row's partition is its file's: a file listed under two partitions has no single one.
    for (const f of files) {
      const other = seen.get(f.name);
      if (other) {
        throw new BackfillError(
          'ConfigurationError',
          `${f.name} is listed under partitions ${other} and ${partitionKey}; commit: batch needs each file in one partition (check source.layout)`,
        );
      }
      seen.set(f.name, partitionKey);
    }
  }
  return listing;
}

/** Loads the listed partitions in one scan and one transaction; returns each partition's result. */
export async function loadBatch(
  deps: LoadDeps,
  input: LoadBatchInput,
  listing: BatchListing,
  hooks: LoadHooks,
  attempt: { number: number; started: number },
): Promise<Record<string, LoadPartitionResult>> {
  const { spec, backfillId } = input;
  await assertChecksValid(spec);
  const loaded = listing.filter((p) => p.files.length > 0);
  const results: Record<string, LoadPartitionResult> = {};
  const done = () => ({ attempts: attempt.number, durationMs: Date.now() - attempt.started });
  for (const p of listing)
    if (!p.files.length) results[p.partitionKey] = { status: 'empty', ...emptyStats() };
  if (loaded.length === 0) {
    for (const r of Object.values(results)) Object.assign(r, done());
    return results;
  }
  const destination = await deps.destinations.open(spec);
  const conn = await deps.staging.connect();
  const interrupt = () => conn.interrupt();
  hooks.signal.addEventListener('abort', interrupt);
  try {
    const loadedAt = new Date(attempt.started).toISOString();
    // Never resumable: the whole batch is read again by a retry.
    const files = loaded.flatMap((p) => p.files);
    const { schema, counts } = await stageTyped(deps, conn, spec, files, Number.POSITIVE_INFINITY, hooks);
    const batches = await buildPartitionedBatches(conn, {
      spec,
      schema,
      counts,
      partitions: loaded.map((p) => ({
        key: p.partitionKey,
        values: partitionValuesOf(spec, p.partitionKey),
        files: p.files.map((f) => f.name),
      })),
      backfillId,
      loadedAt,
    });
    hooks.progress.stage = 'checking';
    // Each partition's checks on its own rows; one failing fails the batch before anything is written.
    const checksStarted = Date.now();
    const checks: BatchChecks[] = [];
    for (const [i, p] of loaded.entries())
      checks.push(await checkBatch(batches[i]!, spec, p.partitionKey, `partition ${p.partitionKey}: `));
    if (spec.checks.length) hooks.metrics?.checksRan?.(Date.now() - checksStarted);
    const committed = await commitAll(destination, batches, loaded, input, loadedAt, hooks, checks);
    for (const [i, p] of loaded.entries()) {
      const batch = batches[i]!;
      results[p.partitionKey] = {
        status: 'succeeded',
        files: p.files.length,
        filesReused: 0,
        bytes: p.files.reduce((sum, f) => sum + f.size, 0),
        rowsRead: batch.counts.rowsRead,
        rowsAccepted: batch.rowCount,
        duplicatesRemoved: batch.counts.duplicatesRemoved,
        rowsRejected: batch.counts.rowsRejected,
        rowsWritten: committed.rowsWritten[i] ?? 0,
        ...done(),
        ...(committed.conflictsRetried !== undefined ? { conflictsRetried: committed.conflictsRetried } : {}),
        ...(committed.snapshotId !== undefined ? { snapshotId: committed.snapshotId } : {}),
        ...(spec.checks.length ? { checks: checks[i]!.outcomes } : {}),
      };
    }
    for (const r of Object.values(results)) if (r.status === 'empty') Object.assign(r, done());
    // In the order of the keys, as the workflow reports them.
    return Object.fromEntries(listing.map((p) => [p.partitionKey, results[p.partitionKey]!]));
  } finally {
    hooks.signal.removeEventListener('abort', interrupt);
    // Closing the connection drops its TEMP tables and views (as after a partition load).
    conn.closeSync();
  }
}

/**
 * The one transaction, with the fault hooks tests use: holding or delaying any partition of the
 * batch holds or delays the batch's commit.
 */
async function commitAll(
  destination: Destination,
  batches: StagedBatch[],
  loaded: BatchListing,
  input: LoadBatchInput,
  loadedAt: string,
  hooks: LoadHooks,
  checks: BatchChecks[],
) {
  const { spec } = input;
  const keys = loaded.map((p) => p.partitionKey);
  hooks.progress.stage = 'waiting to commit';
  const delay = Math.max(0, ...keys.map((k) => hooks.faults?.delayBeforeCommitMs?.(k) ?? 0));
  const started = Date.now();
  const result = await destination.commitMany({
    spec,
    backfillId: input.backfillId,
    loadedAt,
    keepRejects: keepsRejects(spec),
    signal: hooks.signal,
    onTurn: () => void (hooks.progress.stage = 'committing'),
    partitions: loaded.map((p, i) => ({
      batch: batches[i]!,
      partitionKey: p.partitionKey,
      partitionValues: partitionValuesOf(spec, p.partitionKey),
      ...(checks[i]?.inTransaction ? { inTransaction: checks[i].inTransaction } : {}),
    })),
    beforeCommit: async () => {
      if (delay > 0) await hooks.sleep(delay);
      const holds = keys.map((k) => hooks.faults?.holdBeforeCommit?.(k)).filter((h) => h !== undefined);
      if (holds.length) await Promise.race([Promise.all(holds), whenAborted(hooks.signal)]);
      hooks.signal.throwIfAborted();
    },
  });
  hooks.metrics?.merged(Date.now() - started);
  return result;
}

const partitionValuesOf = (spec: BackfillSpec, partitionKey: string) =>
  parsePartitionKey(partitionKey, spec.range.granularity);
