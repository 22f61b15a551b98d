/**
 * Row and partition checks over a relation of rows, as queries: one scan counts the violations of
 * every row check but unique (each unique check scans once more), samples are read only for checks
 * that found violations, freshness is one more scan. Shared by the load (the staged batch) and
 * `backfill check` (a partition's rows in the target).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { partitionWindow, type Granularity } from '../../common/partitions';
import { isRowCheck, kindOf, type CheckSpec } from '../../common/spec';
import type { CheckOutcome } from '../../common/types';
import { queryRows } from '../duckdb';
import * as sql from '../sql';
import { freshnessOutcome, rowOutcome } from './outcome';

export interface CheckScope {
  conn: DuckDBConnection;
  from: sql.Relation;
  /** Every column a check may name, with its type. */
  types: sql.ColumnTypes;
  /** The row's columns (what a sample or a dropped row shows). */
  rowColumns: string[];
  /** Rows in the relation. */
  rows: number;
}

export const rowChecksOf = (checks: CheckSpec[]) => checks.filter((c) => isRowCheck(kindOf(c)));

/** Each row check's outcome, in the order given. */
export async function evaluateRowChecks(scope: CheckScope, checks: CheckSpec[]): Promise<CheckOutcome[]> {
  if (checks.length === 0) return [];
  const { conn, from, types, rowColumns, rows } = scope;
  const counted = checks.some((c) => !c.unique)
    ? (await queryRows<Record<string, bigint>>(conn, sql.violationCounts(checks, from, types)))[0]!
    : {};
  const outcomes: CheckOutcome[] = [];
  for (const [i, check] of checks.entries()) {
    const violations = check.unique
      ? Number(
          (
            await queryRows<{ n: bigint }>(
              conn,
              sql.countViolators(sql.violators(check, from, types, check.unique.columns)),
            )
          )[0]!.n,
        )
      : Number(counted[`v${i}`] ?? 0);
    const samples =
      violations > 0
        ? (
            await queryRows<{ sample: string | null }>(
              conn,
              sql.violationSamples(check, from, types, rowColumns),
            )
          ).map((r) => r.sample ?? 'NULL')
        : [];
    outcomes.push(rowOutcome(check, violations, rows, samples));
  }
  return outcomes;
}

/** freshness: the coverage of the partition's window by the column. */
export async function evaluateFreshness(
  scope: CheckScope,
  check: CheckSpec,
  column: string,
  partitionKey: string,
  granularity: Granularity,
): Promise<CheckOutcome> {
  const window = partitionWindow(partitionKey, granularity);
  const [row] = await queryRows<{ n: bigint }>(
    scope.conn,
    sql.coveredUnits(scope.from, column, window.unit, window),
  );
  return freshnessOutcome(check, scope.rows, Number(row?.n ?? 0), window.units, window.unit);
}
