/**
 * `backfill check`: the spec's checks against a partition's rows already in the target, read-only
 * and without loading. The same SQL as a load's checks over another relation: the target table
 * filtered on the partition's columns (the whole table without partition columns). A drop check
 * reports the rows it would drop (outcome "dropped"); maxRejectedShare reads the partition's
 * quarantined rows in <table>__rejects over those plus its rows; relative row counts compare with
 * the median of the other partitions, as a load does.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { parsePartitionKey } from '../../common/partitions';
import { checkColumns, kindOf, type BackfillSpec } from '../../common/spec';
import type { CheckOutcome } from '../../common/types';
import { queryRows } from '../duckdb';
import * as sql from '../sql';
import { evaluateFreshness, evaluateRowChecks, rowChecksOf, type CheckScope } from './evaluate';
import { rejectedShareOutcome, rowCountOutcome } from './outcome';

/** The target has no such table yet: nothing was loaded. */
export class TargetTableMissingError extends Error {
  override name = 'TargetTableMissingError';
}

/**
 * Runs the row and partition checks on the partition's rows in `catalog` (the target attached on
 * `conn`, read-only), in the spec's order. Nothing is written.
 */
export async function runChecksOnTarget(
  conn: DuckDBConnection,
  catalog: string,
  spec: BackfillSpec,
  partitionKey: string,
): Promise<CheckOutcome[]> {
  if (spec.checks.length === 0) return [];
  const { table, partitionColumns } = spec.target;
  const columns = await queryRows<{ name: string; type: string }>(conn, sql.describeTable(catalog, table));
  if (columns.length === 0) throw new TargetTableMissingError(`${table} does not exist in the target yet`);
  const values: Record<string, number | undefined> = {
    ...parsePartitionKey(partitionKey, spec.range.granularity),
  };
  const from = sql.partitionRows(catalog, table, values, partitionColumns);
  const [counted] = await queryRows<{ n: bigint }>(conn, {
    sql: `SELECT count(*) AS "n" FROM ${from.sql}`,
    params: from.params,
  });
  const rows = Number(counted?.n ?? 0);
  const scope: CheckScope = {
    conn,
    from,
    types: checkColumns(spec),
    // The row's data, as a load's checks sample it (no lineage columns).
    rowColumns: columns.map((c) => c.name).filter((name) => !Object.hasOwn(sql.LINEAGE_COLUMNS, name)),
    rows,
  };
  const rowOutcomes = new Map(
    (await evaluateRowChecks(scope, rowChecksOf(spec.checks))).map((o) => [o.name, o]),
  );
  const outcomes: CheckOutcome[] = [];
  for (const check of spec.checks) {
    const kind = kindOf(check);
    const row = rowOutcomes.get(check.name);
    if (row) outcomes.push(row);
    else if (kind === 'rowCount') {
      const relative = check.rowCount!.relativeMin !== undefined || check.rowCount!.relativeMax !== undefined;
      let median: number | null | undefined;
      if (relative) {
        const [m] = await queryRows<{ median: number | null }>(
          conn,
          sql.otherPartitionsMedian(catalog, table, values, partitionColumns),
        );
        median = m?.median === null || m?.median === undefined ? null : Number(m.median);
      }
      outcomes.push(rowCountOutcome(check, rows, median));
    } else if (kind === 'freshness') {
      const column = check.freshness!.column ?? spec.target.orderingColumn!;
      outcomes.push(await evaluateFreshness(scope, check, column, partitionKey, spec.range.granularity));
    } else {
      const rejected = await rejectsOf(conn, catalog, table, partitionKey);
      outcomes.push(rejectedShareOutcome(check, rows + rejected, rejected));
    }
  }
  return outcomes;
}

/** The partition's quarantined rows; none when the rejects table does not exist. */
async function rejectsOf(conn: DuckDBConnection, catalog: string, table: string, partitionKey: string) {
  const exists = await queryRows(conn, sql.describeTable(catalog, sql.rejectsTable(table)));
  if (exists.length === 0) return 0;
  const [r] = await queryRows<{ n: bigint }>(conn, sql.partitionRejects(catalog, table, partitionKey));
  return Number(r?.n ?? 0);
}
