/**
 * The target behind a small interface, so workflows and the load activity know nothing of a
 * DuckDB file: a partitioned Parquet table on S3 with many writers can implement the same two
 * calls later.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { PartitionColumn } from '../common/partitions';
import type { BackfillSpec } from '../common/spec';
import { BackfillError } from '../common/failures';
import { type DuckDbPool, KeyedMutex, run } from './duckdb';
import * as sql from './sql';

export interface CommitRequest {
  spec: BackfillSpec;
  backfillId: string;
  partitionKey: string;
  partitionValues: Partial<Record<PartitionColumn, number>>;
  loadedAt: string;
  /** Quarantine rejected rows (read mode permissive). */
  keepRejects: boolean;
  /** Called inside the transaction just before COMMIT; throwing rolls everything back. */
  beforeCommit: () => Promise<void>;
}

export interface CommitResult {
  rowsWritten: number;
}

export interface Target {
  /** A DuckDB connection to stage a partition in; commit() reads the batch table from it. */
  connect(spec: BackfillSpec): Promise<DuckDBConnection>;
  /** Writes the staged batch of one partition in one transaction: all of it or nothing. */
  commitPartition(conn: DuckDBConnection, request: CommitRequest): Promise<CommitResult>;
}

export class DuckDbFileTarget implements Target {
  private readonly commits = new KeyedMutex();

  constructor(private readonly pool: DuckDbPool) {}

  connect(spec: BackfillSpec) {
    return this.pool.connect(spec.target.path);
  }

  async commitPartition(conn: DuckDBConnection, request: CommitRequest): Promise<CommitResult> {
    const { spec } = request;
    return this.commits.run(spec.target.path, async () => {
      await run(conn, { sql: 'BEGIN TRANSACTION' });
      try {
        await run(conn, sql.createTargetTable(spec));
        await run(conn, sql.createRejectsTable(spec));
        let rowsWritten: number;
        if (spec.target.writeMode === 'merge') {
          rowsWritten = await changedRows(conn, sql.mergeBatch(spec));
        } else {
          await run(conn, sql.deletePartitionRows(spec, request.partitionValues));
          rowsWritten = await changedRows(conn, sql.insertBatch(spec));
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
    });
  }
}

async function changedRows(conn: DuckDBConnection, statement: sql.Statement): Promise<number> {
  const result = await conn.run(statement.sql, statement.params);
  return Number(result.rowsChanged);
}
