/**
 * loadPartition: lists one partition's files, stages them through DuckDB with the declared schema
 * (bad records quarantined, dropped or fatal per the read mode), dedupes on the keys and writes the
 * batch to the target in one transaction. Idempotent: running it twice leaves the same rows.
 */
import { createHash } from 'node:crypto';
import { access, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApplicationFailure, Context, CancelledFailure } from '@temporalio/activity';
import type { DuckDBConnection } from '@duckdb/node-api';
import { BackfillError, FAILURE_TYPES } from '../common/failures';
import { parsePartitionKey } from '../common/partitions';
import type { BackfillSpec } from '../common/spec';
import type { LoadPartitionInput, LoadPartitionResult } from '../common/types';
import { queryRows, run } from './duckdb';
import type { ActivityDeps } from './deps';
import { effectiveSchema, type DiscoveredColumn } from './schema-contract';
import { prefetchInOrder } from './prefetch';
import { reconcileBatch } from './reconcile';
import { stageFile } from './stage-files';
import { partitionPrefix, type SourceFile } from './sources';
import type { Source } from './sources';
import { gunzipInto, isGzip } from './sources/decompress';
import * as sql from './sql';

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
    const previous = ctx.info.heartbeatDetails as LoadProgress | undefined;
    const progress: LoadProgress = { stage: 'listing', filesStaged: 0, fingerprint: '' };
    ctx.heartbeat(progress);
    const beat = setInterval(() => ctx.heartbeat(progress), 1000);
    let conn: DuckDBConnection | undefined;
    let workDir: string | undefined;
    // Staged files survive a crash here; only a retry of this very activity (same run and activity id) reuses them.
    const stagingDir = path.join(
      deps.stagingDir ?? path.join(tmpdir(), 'temporal-backfill-staging'),
      `${ctx.info.workflowExecution?.runId ?? 'standalone'}-${ctx.info.activityId}`,
    );
    let keepStaging = false;
    const onCancel = () => conn?.interrupt();
    ctx.cancellationSignal.addEventListener('abort', onCancel);
    try {
      const files = await deps.sources.list(spec, partitionKey);
      const bytes = files.reduce((sum, f) => sum + f.size, 0);
      if (files.length === 0) {
        if (spec.source.requireFiles) {
          throw new BackfillError(
            'NoFilesError',
            `no files for partition ${partitionKey} under ${spec.source.uri}/${partitionPrefix(spec, partitionKey)} (source.requireFiles is set)`,
          );
        }
        log.info('partition has no files');
        const empty: LoadPartitionResult = {
          status: 'empty',
          ...zeroCounts,
          attempts: attempt,
          durationMs: Date.now() - started,
        };
        deps.metrics?.partitionLoaded(empty);
        return empty;
      }

      conn = await deps.target.connect(spec);
      progress.stage = 'staging';
      const attemptDir = await mkdtemp(path.join(deps.workDir ?? tmpdir(), 'backfill-attempt-'));
      workDir = attemptDir;
      await mkdir(stagingDir, { recursive: true });
      const reusable = await reusableFiles(previous, files, stagingDir);
      if (reusable > 0)
        log.info(
          { reusable, files: files.length },
          'resuming from the staged files of the interrupted attempt',
        );
      progress.filesStaged = reusable;
      progress.fingerprint = fingerprint(files.slice(0, reusable));
      // Downloads (and gunzips) run ahead of staging, which DuckDB does one file at a time.
      const ready = prefetchInOrder(files.slice(reusable), deps.downloadConcurrency ?? 4, (file, i, signal) =>
        materialize(deps.sources, spec, file, attemptDir, reusable + i, signal),
      );
      let index = reusable;
      for await (const local of ready) {
        throwIfCancelled(ctx);
        const file = files[index]!;
        await run(conn, sql.createRawTable);
        await stageFile(conn, spec, file, local.path, index, deps.target.maxLineBytes);
        await run(conn, sql.saveRawFile(stagedFile(stagingDir, index)));
        await Promise.all(local.temporary.map((f) => rm(f, { force: true })));
        deps.metrics?.fileStaged(file.size);
        log.debug({ file: file.name, bytes: file.size, etag: file.etag, index }, 'file staged');
        progress.filesStaged = index + 1;
        progress.fingerprint = fingerprint(files.slice(0, index + 1));
        const pause = deps.faults?.delayAfterFileMs?.(partitionKey, index) ?? 0;
        if (pause > 0) await ctx.sleep(pause);
        index++;
      }
      await run(conn, sql.loadRecords(path.join(stagingDir, '*.parquet')));

      const discovered = spec.schemaContract === 'discard' ? [] : await discoverColumns(conn, spec);
      const { schema, added } = effectiveSchema(spec, discovered);
      if (added.length) log.info({ added }, 'new source columns (schema contract evolve)');
      await run(conn, sql.createStageTable(schema));
      await run(
        conn,
        // Specs from before the option (recorded workflow inputs) convert, the default.
        sql.stageFromRaw(schema, spec.target.keyColumns, {
          timestampOffsets: spec.timestampOffsets ?? 'convert',
        }),
      );
      // The raw text is in the stage table now; free its memory before the dedupe sorts.
      for (const statement of sql.dropRawTables) await run(conn, statement);

      const [counts] = await queryRows<{ total: bigint; rejected: bigint }>(conn, sql.stageCounts);
      const rowsRead = Number(counts?.total ?? 0);
      const rowsRejected = Number(counts?.rejected ?? 0);
      if (rowsRejected > 0 && spec.readMode === 'failfast') {
        const [bad] = await queryRows<{ file: string; line: bigint; reason: string }>(
          conn,
          sql.firstRejected,
        );
        throw new BackfillError(
          'BadRecordError',
          `bad record in ${bad?.file} line ${bad?.line}: ${bad?.reason} (readMode failfast; ${rowsRejected} bad record(s) in the partition)`,
        );
      }

      const loadedAt = new Date(started).toISOString();
      const partitionValues = parsePartitionKey(partitionKey, spec.range.granularity);
      await run(conn, sql.createBatch(spec, schema, partitionValues, { backfillId, loadedAt }));
      const [batch] = await queryRows<{ n: bigint }>(conn, sql.batchCount);
      const rowsMerged = Number(batch?.n ?? 0);
      const duplicatesRemoved = reconcileBatch(partitionKey, {
        rowsRead,
        rowsRejected,
        rowsMerged,
        keyed: spec.target.keyColumns.length > 0,
      });

      progress.stage = 'committing';
      const delay = deps.faults?.delayBeforeCommitMs?.(partitionKey) ?? 0;
      const commitStarted = Date.now();
      const { rowsWritten } = await deps.target.commitPartition(conn, {
        spec,
        schema,
        backfillId,
        partitionKey,
        partitionValues,
        loadedAt,
        keepRejects: spec.readMode === 'permissive',
        batchRows: rowsMerged,
        signal: ctx.cancellationSignal,
        beforeCommit: async () => {
          if (delay > 0) await ctx.sleep(delay);
          const hold = deps.faults?.holdBeforeCommit?.(partitionKey);
          if (hold) await Promise.race([hold, ctx.cancelled]);
          throwIfCancelled(ctx);
        },
      });
      deps.metrics?.merged(Date.now() - commitStarted);
      const result: LoadPartitionResult = {
        status: 'succeeded',
        files: files.length,
        filesReused: reusable,
        bytes,
        rowsRead,
        rowsMerged,
        duplicatesRemoved,
        rowsRejected,
        rowsWritten,
        attempts: attempt,
        durationMs: Date.now() - started,
      };
      log.info({ ...result }, 'partition loaded');
      deps.metrics?.partitionLoaded(result);
      return result;
    } catch (err) {
      if (ctx.cancellationSignal.aborted) {
        log.warn('partition load cancelled; nothing was written');
        deps.metrics?.partitionCancelled();
        throw new CancelledFailure('partition load cancelled');
      }
      log.error({ err }, 'partition load failed');
      deps.metrics?.partitionFailed(
        err instanceof BackfillError ? err.type : (err as Error).name,
        Date.now() - started,
      );
      // Keep the staged files for the next attempt unless there will be none.
      keepStaging =
        !(err instanceof BackfillError && !FAILURE_TYPES[err.type].retryable) &&
        attempt < spec.retry.maximumAttempts;
      throw toApplicationFailure(err, attempt);
    } finally {
      clearInterval(beat);
      ctx.cancellationSignal.removeEventListener('abort', onCancel);
      if (conn) {
        await Promise.all(sql.dropWorkTables.map((s) => run(conn!, s).catch(() => undefined)));
        conn.closeSync();
      }
      if (workDir) await rm(workDir, { recursive: true, force: true });
      if (!keepStaging) await rm(stagingDir, { recursive: true, force: true });
    }
  };
}

/** Source keys, and the value kinds of those the spec does not declare (only they need a type). */
async function discoverColumns(conn: DuckDBConnection, spec: BackfillSpec): Promise<DiscoveredColumn[]> {
  const keys = (await queryRows<{ name: string }>(conn, sql.discoverKeys)).map((r) => r.name);
  const columns: DiscoveredColumn[] = [];
  for (const name of keys) {
    const kinds =
      name in spec.schema
        ? []
        : ((await queryRows<{ kinds: string[] }>(conn, sql.keyKinds(name)))[0]?.kinds ?? []);
    columns.push({ name, kinds });
  }
  return columns;
}

/** Heartbeat details: how far staging got, so a retry can resume (see reusableFiles). */
interface LoadProgress {
  stage: string;
  filesStaged: number;
  /** Identifies the staged files (names, sizes, ETags), so a changed source is never resumed from. */
  fingerprint: string;
}

const stagedFile = (dir: string, index: number) =>
  path.join(dir, `${String(index).padStart(7, '0')}.parquet`);

function fingerprint(files: SourceFile[]): string {
  const hash = createHash('sha256');
  for (const f of files) hash.update(`${f.name}\0${f.size}\0${f.etag ?? ''}\n`);
  return hash.digest('hex');
}

/** How many leading files the interrupted attempt staged that are still the same and still on disk. */
async function reusableFiles(
  previous: LoadProgress | undefined,
  files: SourceFile[],
  dir: string,
): Promise<number> {
  const count = previous?.filesStaged ?? 0;
  if (count === 0 || count > files.length || previous?.fingerprint !== fingerprint(files.slice(0, count)))
    return 0;
  for (let i = 0; i < count; i++) {
    try {
      await access(stagedFile(dir, i));
    } catch {
      return i;
    }
  }
  return count;
}

const zeroCounts = {
  filesReused: 0,
  files: 0,
  bytes: 0,
  rowsRead: 0,
  rowsMerged: 0,
  duplicatesRemoved: 0,
  rowsRejected: 0,
  rowsWritten: 0,
};

/**
 * Temporal names a failure after the error's class; ours carry the registry name instead, so the
 * retry policy's nonRetryableErrorTypes match. The attempt number rides along for the parent's stats.
 */
function toApplicationFailure(err: unknown, attempt: number): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const error = err instanceof Error ? err : new Error(String(err));
  const type = error instanceof BackfillError ? error.type : error.name;
  return ApplicationFailure.create({ type, message: error.message, details: [{ attempt }], cause: error });
}

function throwIfCancelled(ctx: Context) {
  if (ctx.cancellationSignal.aborted) throw new CancelledFailure('partition load cancelled');
}

/** A file readable by DuckDB, and the temporary copies (download, gunzip) to remove once staged. */
async function materialize(
  source: Source,
  spec: BackfillSpec,
  file: SourceFile,
  workDir: string,
  index: number,
  signal: AbortSignal,
): Promise<{ path: string; temporary: string[] }> {
  try {
    const local = await source.materialize(spec, file, workDir, signal);
    const plain = isGzip(file.name) ? await gunzipInto(local, workDir, index, signal) : local;
    const temporary = [local, plain].filter((f, i, all) => f.startsWith(workDir) && all.indexOf(f) === i);
    return { path: plain, temporary };
  } catch (err) {
    if (err instanceof BackfillError) throw err;
    throw new BackfillError('SourceReadError', `cannot read ${file.name}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
