/**
 * Batch phase of a batch commit: the staged records of several partitions deduped per partition,
 * each partition's counts reconciled on their own (as its own load would), and one StagedBatch per
 * partition (views over the shared tables) for the destination's commitMany.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { BackfillError } from '../../common/failures';
import type { PartitionColumn } from '../../common/partitions';
import type { BackfillSpec } from '../../common/spec';
import { queryRows, run } from '../duckdb';
import { reconcileBatch } from '../reconcile';
import { BATCH_TABLE, STAGE_TABLE } from '../sql';
import type * as sql from '../sql';
import * as batchSql from '../sql/partitioned-batch';
import type { StagedBatch } from './batch';
import type { StageCounts } from './stage';

export interface BatchPartition {
  key: string;
  values: Partial<Record<PartitionColumn, number>>;
  /** Names of the partition's files (the source's names, as the stage table's "__file" holds them). */
  files: string[];
}

/**
 * One StagedBatch per partition, in the order given. `counts` are the whole stage table's: every
 * record must belong to one of the partitions' files, or nothing is written.
 */
export async function buildPartitionedBatches(
  conn: DuckDBConnection,
  request: {
    spec: BackfillSpec;
    schema: sql.ColumnTypes;
    counts: StageCounts;
    partitions: BatchPartition[];
    backfillId: string;
    loadedAt: string;
  },
): Promise<StagedBatch[]> {
  const { spec, schema, partitions } = request;
  const columns = spec.target.partitionColumns;
  const files = partitions.flatMap((p, part) =>
    p.files.map((name) => ({ name, part, values: columns.map((c) => p.values[c] ?? null) })),
  );
  for (const statement of batchSql.createBatchFiles(columns.length, files)) await run(conn, statement);

  const staged = await queryRows<{ part: number | null; total: bigint; rejected: bigint }>(
    conn,
    batchSql.stageCountsByPartition,
  );
  if (staged.some((r) => r.part === null)) {
    throw new BackfillError(
      'ReconciliationError',
      `batch ${partitions[0]?.key}..${partitions.at(-1)?.key}: staged records of no listed file`,
    );
  }
  const [created] = await queryRows<{ Count: bigint }>(
    conn,
    batchSql.createPartitionedBatch(spec, schema, {
      backfillId: request.backfillId,
      loadedAt: request.loadedAt,
    }),
  );
  if (created?.Count === undefined) throw new Error('CREATE TABLE AS returned no row count');
  const accepted = await queryRows<{ part: number; n: bigint }>(conn, batchSql.batchCountsByPartition);
  const stagedOf = new Map(staged.map((r) => [r.part, r]));
  const acceptedOf = new Map(accepted.map((r) => [r.part, Number(r.n)]));

  const batches: StagedBatch[] = [];
  for (const [part, partition] of partitions.entries()) {
    const counts = {
      rowsRead: Number(stagedOf.get(part)?.total ?? 0),
      rowsRejected: Number(stagedOf.get(part)?.rejected ?? 0),
    };
    const rowCount = acceptedOf.get(part) ?? 0;
    const duplicatesRemoved = reconcileBatch(partition.key, {
      ...counts,
      rowsAccepted: rowCount,
      keyed: spec.target.keyColumns.length > 0,
    });
    for (const statement of batchSql.createPartitionViews(part)) await run(conn, statement);
    const views = batchSql.partitionViews(part);
    batches.push({
      conn,
      table: views.batch,
      stageTable: views.stage,
      schema,
      rowCount,
      base: { batch: BATCH_TABLE, stage: STAGE_TABLE },
      counts: { ...counts, duplicatesRemoved },
    });
  }
  // The per-partition sums must be the whole: no record counted twice or left out.
  const read = batches.reduce((sum, b) => sum + b.counts.rowsRead, 0);
  const written = batches.reduce((sum, b) => sum + b.rowCount, 0);
  const where = `batch ${partitions[0]?.key}..${partitions.at(-1)?.key}`;
  if (read !== request.counts.rowsRead)
    throw new BackfillError(
      'ReconciliationError',
      `${where}: rows read ${request.counts.rowsRead} != ${read} over its partitions`,
    );
  if (written !== Number(created.Count))
    throw new BackfillError(
      'ReconciliationError',
      `${where}: rows accepted ${Number(created.Count)} != ${written} over its partitions`,
    );
  return batches;
}
