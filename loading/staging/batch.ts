/**
 * Batch phase: the good rows deduped on the keys into the batch table, the one thing a destination
 * writes. The counts must reconcile before any destination sees it.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { PartitionColumn } from '../../common/partitions';
import type { BackfillSpec } from '../../common/spec';
import { queryRows } from '../duckdb';
import { reconcileBatch } from '../reconcile';
import * as sql from '../sql';
import type { StageCounts } from './stage';

/** One partition's staged batch, held by the staging connection until a destination commits it. */
export interface StagedBatch {
  /** The staging connection: the batch and stage tables are TEMP tables, visible on it only. */
  conn: DuckDBConnection;
  /** The deduped rows to write (target columns: schema, partition, lineage). */
  table: string;
  /** The stage table; its rows with a reason are the partition's rejects. */
  stageTable: string;
  /** The partition's effective columns (declared, plus new ones under schema contract evolve). */
  schema: sql.ColumnTypes;
  /** Rows in the batch: an insert-only write (overwrite) of any other count rolls back. */
  rowCount: number;
  /** A batch commit's partition reads views: the tables under them, which its check drops write. */
  base?: { batch: string; stage: string };
  counts: StageCounts & { duplicatesRemoved: number };
}

export async function buildBatch(
  conn: DuckDBConnection,
  request: {
    spec: BackfillSpec;
    schema: sql.ColumnTypes;
    counts: StageCounts;
    partitionKey: string;
    partitionValues: Partial<Record<PartitionColumn, number>>;
    backfillId: string;
    loadedAt: string;
  },
): Promise<StagedBatch> {
  const { spec, schema, counts } = request;
  // CREATE TABLE AS answers with the rows it wrote: no second scan to count the batch.
  const [batch] = await queryRows<{ Count: bigint }>(
    conn,
    sql.createBatch(spec, schema, request.partitionValues, {
      backfillId: request.backfillId,
      loadedAt: request.loadedAt,
    }),
  );
  if (batch?.Count === undefined) throw new Error('CREATE TABLE AS returned no row count');
  const rowCount = Number(batch.Count);
  const duplicatesRemoved = reconcileBatch(request.partitionKey, {
    ...counts,
    rowsAccepted: rowCount,
    keyed: spec.target.keyColumns.length > 0,
  });
  return {
    conn,
    table: sql.BATCH_TABLE,
    stageTable: sql.STAGE_TABLE,
    schema,
    rowCount,
    counts: { ...counts, duplicatesRemoved },
  };
}
