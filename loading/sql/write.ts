/**
 * Write phase: the staged batch into the target table, inside the destination's transaction. The
 * target is a table in a catalog (`scope.catalog`), the batch and stage tables are the staging
 * connection's; a transaction writes to the catalog only.
 */
import type { PartitionColumn } from '../../common/partitions';
import type { BackfillSpec } from '../../common/spec';
import { ident, qualified } from './quote';
import type { Params, Statement } from './statement';
import {
  isDeleted,
  rejectsTable,
  targetColumns,
  tombstoneColumns,
  tombstonesTable,
  type ColumnTypes,
} from './tables';

/** Where a write goes (a catalog) and what it reads (the staged batch and stage tables). */
export interface WriteScope {
  catalog: string;
  batch: string;
  stage: string;
}

/**
 * Upsert on the keys. A matched row is only replaced by one at least as new (ordering column, then
 * source file), so partitions may commit in any order and a re-run of an old partition never
 * overwrites a later update. With tombstones, batch rows older than their key's recorded delete are
 * left out of the source (an anti-join: the batch table is never written inside the transaction).
 */
export function mergeBatch(
  spec: BackfillSpec,
  schema: ColumnTypes,
  scope: WriteScope,
  tombstones: boolean,
): Statement {
  const cols = targetColumns(spec, schema).map(([name]) => ident(name));
  const on = keysMatch(spec);
  const newer = sourceIsNewer(spec);
  // With a delete-flag column, the latest version of a key saying "deleted" removes the row.
  const flag = spec.target.deleteColumn ? isDeleted(spec.target.deleteColumn, 's') : undefined;
  const source = tombstones
    ? `(SELECT * FROM ${ident(scope.batch)} AS s WHERE NOT EXISTS (SELECT 1 FROM ` +
      `${qualified(scope.catalog, tombstonesTable(spec.target.table))} AS t WHERE ${on} AND NOT ${newer}))`
    : ident(scope.batch);
  return {
    sql:
      `MERGE INTO ${qualified(scope.catalog, spec.target.table)} AS t USING ${source} AS s ON ${on} ` +
      (flag ? `WHEN MATCHED AND ${newer} AND ${flag} THEN DELETE ` : '') +
      `WHEN MATCHED AND ${newer} THEN UPDATE SET ${cols.map((c) => `${c} = s.${c}`).join(', ')} ` +
      `WHEN NOT MATCHED${flag ? ` AND NOT ${flag}` : ''} THEN INSERT (${cols.join(', ')}) VALUES (${cols.map((c) => `s.${c}`).join(', ')})`,
  };
}

/** The merge's join: the target row t and the source row s have the same keys. */
export const keysMatch = (spec: BackfillSpec) =>
  spec.target.keyColumns.map((k) => `t.${ident(k)} = s.${ident(k)}`).join(' AND ');

/** Whether source row s may replace target row t: at least as new (ordering column, then source file). */
export function sourceIsNewer(spec: BackfillSpec): string {
  if (!spec.target.orderingColumn) return 'true';
  const o = ident(spec.target.orderingColumn);
  const tie = spec.target.lineage
    ? `(s.${o} = t.${o} AND s."_source_file" >= t."_source_file")`
    : `s.${o} = t.${o}`;
  return `(t.${o} IS NULL OR s.${o} > t.${o} OR ${tie})`;
}

/** The batch's deletes become (or replace older) tombstones. */
export function recordTombstones(spec: BackfillSpec, scope: WriteScope): Statement {
  const cols = tombstoneColumns(spec).map(ident);
  return {
    sql:
      `MERGE INTO ${qualified(scope.catalog, tombstonesTable(spec.target.table))} AS t ` +
      `USING (SELECT ${cols.join(', ')} FROM ${ident(scope.batch)} WHERE ${isDeleted(spec.target.deleteColumn!)}) AS s ON ${keysMatch(spec)} ` +
      `WHEN MATCHED AND ${sourceIsNewer(spec)} THEN UPDATE SET ${cols.map((c) => `${c} = s.${c}`).join(', ')} ` +
      `WHEN NOT MATCHED THEN INSERT (${cols.join(', ')}) VALUES (${cols.map((c) => `s.${c}`).join(', ')})`,
  };
}

/** Overwrite: the partition's rows are deleted and the batch inserted, inside the caller's transaction. */
export function deletePartitionRows(
  spec: BackfillSpec,
  partitionValues: Partial<Record<PartitionColumn, number>>,
  scope: WriteScope,
): Statement {
  const params: Params = {};
  const where = spec.target.partitionColumns.map((col) => {
    params[`p_${col}`] = partitionValues[col] ?? null;
    return `${ident(col)} = $p_${col}`;
  });
  return {
    sql: `DELETE FROM ${qualified(scope.catalog, spec.target.table)} WHERE ${where.join(' AND ')}`,
    params,
  };
}

export function insertBatch(spec: BackfillSpec, schema: ColumnTypes, scope: WriteScope): Statement {
  const cols = targetColumns(spec, schema).map(([name]) => ident(name));
  const keep = spec.target.deleteColumn ? ` WHERE NOT ${isDeleted(spec.target.deleteColumn)}` : '';
  return {
    sql:
      `INSERT INTO ${qualified(scope.catalog, spec.target.table)} (${cols.join(', ')}) ` +
      `SELECT ${cols.join(', ')} FROM ${ident(scope.batch)}${keep}`,
  };
}

/** The partition's quarantine is replaced on each load, so a re-run never duplicates rejects. */
export function replaceRejects(
  spec: BackfillSpec,
  scope: WriteScope,
  rejects: { partitionKey: string; backfillId: string; at: string; keep: boolean },
): Statement[] {
  const table = qualified(scope.catalog, rejectsTable(spec.target.table));
  const clear = {
    sql: `DELETE FROM ${table} WHERE partition_key = $partition`,
    params: { partition: rejects.partitionKey },
  };
  if (!rejects.keep) return [clear];
  return [
    clear,
    {
      sql:
        `INSERT INTO ${table} SELECT $backfill_id, $partition, "__file", "__line", "__raw", "__reason", CAST($at AS TIMESTAMP) ` +
        `FROM ${ident(scope.stage)} WHERE "__reason" IS NOT NULL ORDER BY "__file", "__line"`,
      params: { backfill_id: rejects.backfillId, partition: rejects.partitionKey, at: rejects.at },
    },
  ];
}

/** A destination's commit: everything between these is one transaction on the target's catalog. */
export const beginTransaction: Statement = { sql: 'BEGIN TRANSACTION' };
export const commitTransaction: Statement = { sql: 'COMMIT' };
export const rollbackTransaction: Statement = { sql: 'ROLLBACK' };
