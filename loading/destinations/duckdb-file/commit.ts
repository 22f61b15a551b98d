/**
 * One partition's commit into an attached DuckDB file: table changes the schema contract allows,
 * the write (merge with tombstones, or overwrite with its reconciliation), and the partition's
 * rejects, all in one transaction; a batch commit runs the same for each of its partitions in one
 * transaction. Nothing here writes to the staging (TEMP) catalog: a DuckDB
 * transaction may write to one attached database only.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { BackfillSpec } from '../../../common/spec';
import { BackfillError } from '../../../common/failures';
import { changedRows, queryRows, run } from '../../duckdb';
import { reconcileWrite } from '../../reconcile';
import { planTargetChanges } from '../../schema-contract';
import * as sql from '../../sql';
import type { StagedBatch } from '../../staging/batch';
import type {
  BatchCommitRequest,
  BatchCommitResult,
  CommitRequest,
  CommitResult,
  PartitionCommit,
  TargetColumn,
} from '../destination';

/** What another destination on the same SQL (DuckLake) adds to the transaction. */
export interface WriteHooks {
  /** Runs right after the target table is created, in the same transaction (partitioning, sort order). */
  tableCreated?: (conn: DuckDBConnection) => Promise<void>;
  /** The merge as statements of the destination's dialect (default: one MERGE); their changed rows add up. */
  mergeStatements?: (
    spec: BackfillSpec,
    schema: sql.ColumnTypes,
    scope: sql.WriteScope,
    tombstones: boolean,
  ) => sql.Statement[];
  /**
   * The target's columns as the last commit left them, when no other process can change them (a
   * DuckDB file has one writer): a commit that changes no column skips describing the table.
   */
  columns?: Map<string, TargetColumn[]>;
}

export async function writeBatch(
  conn: DuckDBConnection,
  catalog: string,
  batch: StagedBatch,
  request: CommitRequest,
  hooks: WriteHooks = {},
): Promise<CommitResult> {
  const { partitionKey, partitionValues, inTransaction, ...rest } = request;
  const written = await writeBatches(
    conn,
    catalog,
    { ...rest, partitions: [{ batch, partitionKey, partitionValues, inTransaction }] },
    hooks,
  );
  return { rowsWritten: written.rowsWritten[0]! };
}

/**
 * One transaction for every partition of the request, each written as its own commit would
 * (writePartition), in order; one partition failing rolls all of them back.
 */
export async function writeBatches(
  conn: DuckDBConnection,
  catalog: string,
  request: BatchCommitRequest,
  hooks: WriteHooks = {},
): Promise<BatchCommitResult> {
  const { spec } = request;
  const table = spec.target.table;
  await run(conn, sql.beginTransaction);
  try {
    const rowsWritten: number[] = [];
    let known = hooks.columns?.get(table);
    let changed = false;
    for (const partition of request.partitions) {
      // Partitions of one batch share their columns; a second call finds nothing to change.
      const prepared = await prepareTable(conn, catalog, spec, partition.batch.schema, known);
      if (prepared === 'created') await hooks.tableCreated?.(conn);
      // After a change the next partition describes the table again (inside this transaction).
      changed ||= typeof prepared !== 'object';
      known = typeof prepared === 'object' ? prepared : undefined;
      rowsWritten.push(await writePartition(conn, catalog, partition, request, hooks));
    }
    await request.beforeCommit();
    hooks.columns?.delete(table);
    await run(conn, sql.commitTransaction);
    // Only columns this commit did not change are kept: after a change the next one describes.
    if (known && !changed) hooks.columns?.set(table, known);
    return { rowsWritten };
  } catch (err) {
    hooks.columns?.delete(table);
    await run(conn, sql.rollbackTransaction).catch(() => undefined);
    if (err instanceof BackfillError || (err as Error).name === 'CancelledFailure') throw err;
    throw new BackfillError(
      'TargetWriteError',
      `writing ${spec.target.table} failed: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

/** One partition's write (merge with tombstones, or overwrite) and its rejects, inside the transaction. */
async function writePartition(
  conn: DuckDBConnection,
  catalog: string,
  { batch, partitionKey, partitionValues, inTransaction }: PartitionCommit,
  request: BatchCommitRequest,
  hooks: WriteHooks,
): Promise<number> {
  const { spec } = request;
  // Before the write, so what it reads of the target is the other partitions' rows.
  await inTransaction?.(conn, catalog);
  const { schema } = batch;
  const scope: sql.WriteScope = { catalog, batch: batch.table, stage: batch.stageTable };
  await run(conn, sql.createRejectsTable(spec, catalog));
  let rowsWritten: number;
  if (spec.target.writeMode === 'merge') {
    // Deletes across partitions need memory: without it, an older version committed later resurrects the row.
    const tombstones = Boolean(spec.target.deleteColumn && spec.target.orderingColumn);
    if (tombstones) await run(conn, sql.createTombstonesTable(spec, schema, catalog));
    rowsWritten = 0;
    const merge = hooks.mergeStatements ?? ((...args) => [sql.mergeBatch(...args)]);
    for (const statement of merge(spec, schema, scope, tombstones))
      rowsWritten += await changedRows(conn, statement);
    if (tombstones) await run(conn, sql.recordTombstones(spec, scope));
  } else {
    await run(conn, sql.deletePartitionRows(spec, partitionValues, scope));
    rowsWritten = await changedRows(conn, sql.insertBatch(spec, schema, scope));
    // Flagged deletes are not inserted, so only a plain overwrite must insert the whole batch.
    if (!spec.target.deleteColumn) reconcileWrite(partitionKey, batch.rowCount, rowsWritten);
  }
  const rejects = sql.replaceRejects(spec, scope, {
    partitionKey,
    backfillId: request.backfillId,
    at: request.loadedAt,
    // A partition without rejects only clears the ones an earlier load left.
    keep: request.keepRejects && batch.counts.rowsRejected > 0,
  });
  for (const statement of rejects) await run(conn, statement);
  return rowsWritten;
}

/**
 * Creates the table ('created'), or adds and widens columns as the schema contract allows (inside
 * the commit's transaction: 'changed'); the table's columns when nothing changed. `known`: the
 * columns as the last commit left them, instead of describing the table.
 */
async function prepareTable(
  conn: DuckDBConnection,
  catalog: string,
  spec: BackfillSpec,
  schema: sql.ColumnTypes,
  known?: TargetColumn[],
): Promise<'created' | 'changed' | TargetColumn[]> {
  const existing =
    known ?? (await queryRows<TargetColumn>(conn, sql.describeTable(catalog, spec.target.table)));
  if (existing.length === 0) {
    await run(conn, sql.createTargetTable(spec, schema, catalog));
    return 'created';
  }
  const change = planTargetChanges(spec, sql.targetColumns(spec, schema), existing);
  for (const [name, type] of change.add)
    await run(conn, sql.addColumn(catalog, spec.target.table, name, type));
  for (const [name, type] of change.widen)
    await run(conn, sql.widenColumn(catalog, spec.target.table, name, type));
  return change.add.length || change.widen.length ? 'changed' : existing;
}
