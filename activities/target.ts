/**
 * The target behind a small interface, so workflows and the load activity know nothing of a
 * DuckDB file: a partitioned Parquet table on S3 with many writers can implement the same two
 * calls later.
 */
import { reconcileWrite } from './reconcile';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { PartitionColumn } from '../common/partitions';
import type { BackfillSpec } from '../common/spec';
import type { MaintenanceReport } from '../common/types';
import { BackfillError } from '../common/failures';
import { type DuckDbPool, KeyedMutex, queryRows, run } from './duckdb';
import { planTargetChanges } from './schema-contract';
import * as sql from './sql';

export interface CommitRequest {
  spec: BackfillSpec;
  /** The partition's effective columns (declared, plus new ones under schema contract evolve). */
  schema: sql.ColumnTypes;
  backfillId: string;
  partitionKey: string;
  partitionValues: Partial<Record<PartitionColumn, number>>;
  loadedAt: string;
  /** Quarantine rejected rows (read mode permissive). */
  keepRejects: boolean;
  /** Rows in the deduped batch: an insert-only write (overwrite) of any other count rolls back. */
  batchRows: number;
  /** Called inside the transaction just before COMMIT; throwing rolls everything back. */
  beforeCommit: () => Promise<void>;
  /** Aborts a commit still waiting for its turn on the target (the partition was cancelled). */
  signal?: AbortSignal;
}

export interface CommitResult {
  rowsWritten: number;
}

export interface Target {
  /** The longest record line its readers accept (bounded by the staging memory). */
  readonly maxLineBytes: number;
  /** A DuckDB connection to stage a partition in; commit() reads the batch table from it. */
  connect(spec: BackfillSpec): Promise<DuckDBConnection>;
  /** Writes the staged batch of one partition in one transaction: all of it or nothing. */
  commitPartition(conn: DuckDBConnection, request: CommitRequest): Promise<CommitResult>;
  /** Post-load maintenance (compaction, clustering, statistics), after every partition. */
  maintain(spec: BackfillSpec): Promise<Omit<MaintenanceReport, 'durationMs'>>;
}

export class DuckDbFileTarget implements Target {
  private readonly commits = new KeyedMutex();

  constructor(private readonly pool: DuckDbPool) {}

  get maxLineBytes() {
    return this.pool.maxLineBytes;
  }

  async connect(spec: BackfillSpec) {
    try {
      return await this.pool.connect(spec.target.path);
    } catch (err) {
      const message = (err as Error).message;
      if (/lock/i.test(message)) {
        // Another process holds the file (a second worker, a DuckDB shell): worth retrying later.
        throw new BackfillError(
          'TargetWriteError',
          `target ${spec.target.path} is locked by another process: ${message}`,
          { cause: err },
        );
      }
      throw new BackfillError('ConfigurationError', `cannot open target ${spec.target.path}: ${message}`, {
        cause: err,
      });
    }
  }

  maintain(spec: BackfillSpec) {
    // Serialised with commits: a rewrite must not race a partition's MERGE.
    return this.commits.run(spec.target.path, async () => {
      const conn = await this.connect(spec);
      try {
        return await maintainDuckDb(conn, spec);
      } finally {
        conn.closeSync();
      }
    });
  }

  async commitPartition(conn: DuckDBConnection, request: CommitRequest): Promise<CommitResult> {
    const { spec } = request;
    const commit = async () => {
      await run(conn, { sql: 'BEGIN TRANSACTION' });
      try {
        const { schema } = request;
        await prepareTable(conn, spec, schema);
        await run(conn, sql.createRejectsTable(spec));
        let rowsWritten: number;
        if (spec.target.writeMode === 'merge') {
          // Deletes across partitions need memory: without it, an older version committed later resurrects the row.
          const tombstones = Boolean(spec.target.deleteColumn && spec.target.orderingColumn);
          if (tombstones) {
            await run(conn, sql.createTombstonesTable(spec, schema));
            await run(conn, sql.dropDeletedVersions(spec));
          }
          rowsWritten = await changedRows(conn, sql.mergeBatch(spec, schema));
          if (tombstones) await run(conn, sql.recordTombstones(spec));
        } else {
          await run(conn, sql.deletePartitionRows(spec, request.partitionValues));
          rowsWritten = await changedRows(conn, sql.insertBatch(spec, schema));
          // Flagged deletes are not inserted, so only a plain overwrite must insert the whole batch.
          if (!spec.target.deleteColumn) reconcileWrite(request.partitionKey, request.batchRows, rowsWritten);
        }
        const rejects = sql.replaceRejects(spec, request.partitionKey, request.backfillId, request.loadedAt);
        await run(conn, rejects[0]!);
        if (request.keepRejects) await run(conn, rejects[1]!);
        await request.beforeCommit();
        await run(conn, { sql: 'COMMIT' });
        return { rowsWritten };
      } catch (err) {
        await run(conn, { sql: 'ROLLBACK' }).catch(() => undefined);
        if (err instanceof BackfillError || (err as Error).name === 'CancelledFailure') throw err;
        throw new BackfillError(
          'TargetWriteError',
          `writing ${spec.target.table} failed: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
    };
    return this.commits.run(spec.target.path, commit, request.signal);
  }
}

/** Creates the table, or adds and widens columns as the schema contract allows (inside the commit's transaction). */
/** DuckDB file maintenance: optional rewrite ordered by cluster columns, ANALYZE, CHECKPOINT, VACUUM. */
async function maintainDuckDb(
  conn: DuckDBConnection,
  spec: BackfillSpec,
): Promise<Omit<MaintenanceReport, 'durationMs'>> {
  const table = spec.target.table;
  const size = async () =>
    Number((await queryRows<{ bytes: bigint }>(conn, sql.databaseSize))[0]?.bytes ?? 0);
  const bytesBefore = await size();
  if ((await queryRows(conn, sql.describeTable(table))).length === 0) {
    return { steps: [], rowCount: 0, bytesBefore, bytesAfter: bytesBefore };
  }
  const steps: string[] = [];
  if (spec.maintenance.clusterBy.length) {
    for (const statement of sql.rewriteOrdered(table, spec.maintenance.clusterBy)) await run(conn, statement);
    steps.push(`rewrite ordered by ${spec.maintenance.clusterBy.join(', ')}`);
  }
  await run(conn, sql.analyzeTable(table));
  steps.push('analyze');
  await run(conn, sql.checkpoint);
  steps.push('checkpoint');
  await run(conn, sql.vacuumTable(table));
  steps.push('vacuum');
  const [count] = await queryRows<{ n: bigint }>(conn, {
    sql: `SELECT count(*) AS n FROM ${sql.ident(table)}`,
  });
  return { steps, rowCount: Number(count?.n ?? 0), bytesBefore, bytesAfter: await size() };
}

async function prepareTable(
  conn: DuckDBConnection,
  spec: BackfillSpec,
  schema: sql.ColumnTypes,
): Promise<void> {
  const existing = await queryRows<{ name: string; type: string }>(
    conn,
    sql.describeTable(spec.target.table),
  );
  if (existing.length === 0) {
    await run(conn, sql.createTargetTable(spec, schema));
    return;
  }
  const change = planTargetChanges(spec, sql.targetColumns(spec, schema), existing);
  for (const [name, type] of change.add) await run(conn, sql.addColumn(spec.target.table, name, type));
  for (const [name, type] of change.widen) await run(conn, sql.widenColumn(spec.target.table, name, type));
}

async function changedRows(conn: DuckDBConnection, statement: sql.Statement): Promise<number> {
  const result = await conn.run(statement.sql, statement.params);
  return Number(result.rowsChanged);
}
