/**
 * Batch phase: the rows to write, deduped on the keys, with partition and lineage columns filled.
 */
import type { PartitionColumn } from '../../common/partitions';
import type { BackfillSpec } from '../../common/spec';
import { dropsRows } from '../../common/spec/checks';
import { ORIGIN_FILE, ORIGIN_LINE } from './checks';
import { ident } from './quote';
import type { Params, Statement } from './statement';
import { BATCH_TABLE, STAGE_TABLE, type ColumnTypes } from './tables';

/**
 * The row kept per key: the latest by the ordering column (NULLs last), then the last file, then the
 * last line. A sharded partition dedupes each shard and then across shards with this same order, so
 * it keeps the very row an unsharded load keeps (the order is total: file and line are unique).
 */
export function latestPerKey(spec: BackfillSpec): string {
  const keys = spec.target.keyColumns.map(ident);
  const order = [
    ...(spec.target.orderingColumn ? [`${ident(spec.target.orderingColumn)} DESC NULLS LAST`] : []),
    '"__file" DESC',
    '"__line" DESC',
  ];
  return `QUALIFY row_number() OVER (PARTITION BY ${keys.join(', ')} ORDER BY ${order.join(', ')}) = 1`;
}

/**
 * Builds the batch to write: good rows, one per key (the latest by the ordering column, then the
 * last file and line, so the choice is deterministic), sorted by key because DuckDB merges a
 * sorted source much faster. Partition and lineage columns are bound values.
 */
export function createBatch(
  spec: BackfillSpec,
  schema: ColumnTypes,
  partitionValues: Partial<Record<PartitionColumn, number>>,
  lineage: { backfillId: string; loadedAt: string },
): Statement {
  const keys = spec.target.keyColumns.map(ident);
  const params: Params = {};
  const select = Object.keys(schema).map(ident);
  for (const col of spec.target.partitionColumns) {
    params[`p_${col}`] = partitionValues[col] ?? null;
    select.push(`CAST($p_${col} AS INTEGER) AS ${ident(col)}`);
  }
  if (spec.target.lineage) {
    params.backfill_id = lineage.backfillId;
    params.loaded_at = lineage.loadedAt;
    select.push(
      '"__file" AS "_source_file"',
      'CAST($loaded_at AS TIMESTAMP) AS "_loaded_at"',
      '$backfill_id AS "_backfill_id"',
    );
  }
  // A drop check names the winning record of each row it drops (loading/checks/run.ts).
  if (dropsRows(spec.checks))
    select.push(`"__file" AS ${ident(ORIGIN_FILE)}`, `"__line" AS ${ident(ORIGIN_LINE)}`);
  const dedupe = keys.length ? `${latestPerKey(spec)} ORDER BY ${keys.join(', ')}` : '';
  return {
    sql: `CREATE OR REPLACE TEMP TABLE ${ident(BATCH_TABLE)} AS SELECT ${select.join(', ')} FROM ${ident(STAGE_TABLE)} WHERE "__reason" IS NULL ${dedupe}`,
    params,
  };
}
