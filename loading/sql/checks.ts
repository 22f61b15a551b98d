/**
 * Check phase (spec checks): the SQL of every declared check over a relation of rows (the staged
 * batch, one partition's view of a batch commit, or a partition's rows in the target). Identifiers
 * go through ident(), values (accepted values, bounds, regexes, reasons, window bounds) are bound;
 * the one raw piece is a check's expression, spliced only after the spec rules and the DuckDB
 * validation (loading/checks/validate.ts) accepted it as one read-only boolean expression.
 * Column types come from the spec's schema (a closed pattern) or the loader's own types.
 */
import { COLUMN_TYPE_PATTERN, type CheckSpec } from '../../common/spec';
import { ident, qualified } from './quote';
import type { Params, Statement } from './statement';
import { rejectsTable, type ColumnTypes } from './tables';

/** A FROM item: a table or view name (quoted) or a subquery, with its bound values. */
export interface Relation {
  sql: string;
  params: Params;
}

export const tableRelation = (name: string): Relation => ({ sql: ident(name), params: {} });

/** The batch keeps its rows' origin ("__check_file", "__check_line") when a drop check may move rows to rejects. */
export const ORIGIN_FILE = '__check_file';
export const ORIGIN_LINE = '__check_line';
/** The rows the drop checks move to the rejects, by origin, with their values and reason. */
export const DROPPED_TABLE = '__backfill_dropped';

/** A type spliced into CAST: from the spec's closed list, or one the loader writes. */
function castType(type: string | undefined, column: string): string {
  if (type === undefined) throw new Error(`check column "${column}" has no type`);
  if (!COLUMN_TYPE_PATTERN.test(type) && !/^(INTEGER|VARCHAR|TIMESTAMP)$/.test(type))
    throw new Error(`check column "${column}" has an unexpected type ${type}`);
  return type;
}

const bind = (params: Params, name: string, value: string | number | boolean, type: string) => {
  params[name] = value;
  return `CAST($${name} AS ${type})`;
};

/**
 * A row check's violation as a predicate over one row (never NULL: a NULL value is no violation,
 * except for notNull). `p` prefixes the bound values' names, so several checks share a statement.
 * Undefined for unique, which compares rows (uniqueViolators).
 */
export function violationPredicate(check: CheckSpec, columns: ColumnTypes, p: string): Statement | undefined {
  const params: Params = {};
  const type = (col: string) => castType(columns[col], col);
  if (check.notNull) return { sql: `${ident(check.notNull.column)} IS NULL`, params };
  if (check.acceptedValues) {
    const { column, values } = check.acceptedValues;
    const t = type(column);
    const list = values.map((v, i) => bind(params, `${p}v${i}`, v, t));
    return { sql: `coalesce(${ident(column)} NOT IN (${list.join(', ')}), false)`, params };
  }
  if (check.range) {
    const { column, min, max } = check.range;
    const t = type(column);
    const outside = [
      ...(min !== undefined ? [`${ident(column)} < ${bind(params, `${p}min`, min, t)}`] : []),
      ...(max !== undefined ? [`${ident(column)} > ${bind(params, `${p}max`, max, t)}`] : []),
    ];
    return { sql: `coalesce(${outside.join(' OR ')}, false)`, params };
  }
  if (check.pattern) {
    params[`${p}re`] = check.pattern.regex;
    return {
      sql: `coalesce(NOT regexp_full_match(CAST(${ident(check.pattern.column)} AS VARCHAR), $${p}re), false)`,
      params,
    };
  }
  if (check.expression !== undefined) return { sql: `NOT coalesce((${check.expression}), true)`, params };
  return undefined;
}

/** Every row of a repeated combination of the unique columns (rows with a NULL among them are not compared). */
function uniqueViolators(check: CheckSpec, from: Relation, columns: string[]): Statement {
  const cols = check.unique!.columns.map(ident);
  return {
    sql:
      `SELECT ${columns.map(ident).join(', ')} FROM (SELECT *, count(*) OVER (PARTITION BY ${cols.join(', ')}) AS "__check_n" ` +
      `FROM ${from.sql} WHERE ${cols.map((c) => `${c} IS NOT NULL`).join(' AND ')}) WHERE "__check_n" > 1`,
    params: from.params,
  };
}

/** The rows violating a row check, with the given columns. */
export function violators(
  check: CheckSpec,
  from: Relation,
  types: ColumnTypes,
  columns: string[],
): Statement {
  if (check.unique) return uniqueViolators(check, from, columns);
  const pred = violationPredicate(check, types, 'c_')!;
  return {
    sql: `SELECT ${columns.map(ident).join(', ')} FROM ${from.sql} WHERE ${pred.sql}`,
    params: { ...from.params, ...pred.params },
  };
}

/**
 * One scan for the rows and the violations of every non-unique row check ("v<i>", i the check's
 * index in the list); unique checks count apart (countViolators).
 */
export function violationCounts(checks: CheckSpec[], from: Relation, types: ColumnTypes): Statement {
  const params: Params = { ...from.params };
  const counts = ['count(*) AS "total"'];
  for (const [i, check] of checks.entries()) {
    const pred = violationPredicate(check, types, `c${i}_`);
    if (!pred) continue;
    Object.assign(params, pred.params);
    counts.push(`count(*) FILTER (WHERE ${pred.sql}) AS ${ident(`v${i}`)}`);
  }
  return { sql: `SELECT ${counts.join(', ')} FROM ${from.sql}`, params };
}

export const countViolators = (violating: Statement): Statement => ({
  sql: `SELECT count(*) AS "n" FROM (${violating.sql})`,
  params: violating.params,
});

/** What a sample shows: the column's value, the unique columns' values, or the whole row (JSON). */
export function sampleColumns(check: CheckSpec, rowColumns: string[]): string[] {
  if (check.acceptedValues) return [check.acceptedValues.column];
  if (check.range) return [check.range.column];
  if (check.pattern) return [check.pattern.column];
  if (check.unique) return check.unique.columns;
  return rowColumns;
}

/** Up to 5 distinct sample violating values, as text of at most 200 characters. */
export function violationSamples(
  check: CheckSpec,
  from: Relation,
  types: ColumnTypes,
  rowColumns: string[],
): Statement {
  const cols = sampleColumns(check, rowColumns);
  const violating = violators(check, from, types, cols);
  const text =
    cols.length === 1 && !check.notNull && check.expression === undefined
      ? `CAST(${ident(cols[0]!)} AS VARCHAR)`
      : 'CAST(to_json(r) AS VARCHAR)';
  return {
    sql: `SELECT DISTINCT left(${text}, 200) AS "sample" FROM (${violating.sql}) AS r ORDER BY "sample" LIMIT 5`,
    params: violating.params,
  };
}

/** The drop list: origin and raw text (the row's values as JSON) of each dropped row, and why. */
export const createDropped: Statement = {
  sql: `CREATE OR REPLACE TEMP TABLE ${ident(DROPPED_TABLE)} ("__file" VARCHAR, "__line" BIGINT, "__raw" VARCHAR, "__reason" VARCHAR)`,
};

/** A drop check's violators join the drop list, except rows an earlier drop check already took. */
export function addDropped(
  check: CheckSpec,
  from: Relation,
  types: ColumnTypes,
  rowColumns: string[],
  reason: string,
): Statement {
  const violating = violators(check, from, types, [...rowColumns, ORIGIN_FILE, ORIGIN_LINE]);
  const row = rowColumns.map((c) => `v.${ident(c)}`).join(', ');
  return {
    sql:
      `INSERT INTO ${ident(DROPPED_TABLE)} SELECT v.${ident(ORIGIN_FILE)}, v.${ident(ORIGIN_LINE)}, ` +
      `CAST(to_json((SELECT r FROM (SELECT ${row}) AS r)) AS VARCHAR), $check_reason FROM (${violating.sql}) AS v ` +
      `WHERE NOT EXISTS (SELECT 1 FROM ${ident(DROPPED_TABLE)} AS d WHERE d."__file" = v.${ident(ORIGIN_FILE)} AND d."__line" = v.${ident(ORIGIN_LINE)})`,
    params: { ...violating.params, check_reason: reason },
  };
}

/** The dropped rows become rejects of the stage table (their raw text and reason), as a reject of the read is. */
export const markDropped = (stage: string): Statement => ({
  sql:
    `UPDATE ${ident(stage)} AS s SET "__reason" = d."__reason", "__raw" = d."__raw" FROM ${ident(DROPPED_TABLE)} AS d ` +
    `WHERE s."__file" = d."__file" AND s."__line" = d."__line"`,
});

/** ...and leave the batch. */
export const deleteDropped = (batch: string): Statement => ({
  sql:
    `DELETE FROM ${ident(batch)} AS b WHERE EXISTS (SELECT 1 FROM ${ident(DROPPED_TABLE)} AS d ` +
    `WHERE d."__file" = b.${ident(ORIGIN_FILE)} AND d."__line" = b.${ident(ORIGIN_LINE)})`,
});

/** How many rows the drop list holds. */
export const droppedCount: Statement = { sql: `SELECT count(*) AS "n" FROM ${ident(DROPPED_TABLE)}` };

/**
 * Freshness: the distinct `unit`s (day, hour, ...) of the partition's window [start, end) in which
 * the column has at least one row.
 */
export function coveredUnits(
  from: Relation,
  column: string,
  unit: string,
  window: { start: string; end: string },
): Statement {
  if (!/^(month|day|hour|minute)$/.test(unit)) throw new Error(`bad freshness unit ${unit}`);
  const c = `CAST(${ident(column)} AS TIMESTAMP)`;
  return {
    sql:
      `SELECT count(DISTINCT date_trunc('${unit}', ${c})) AS "n" FROM ${from.sql} ` +
      `WHERE ${c} >= CAST($f_start AS TIMESTAMP) AND ${c} < CAST($f_end AS TIMESTAMP)`,
    params: { ...from.params, f_start: window.start, f_end: window.end },
  };
}

/** The partition's rows: each partition column equal to its bound value (`p` prefixes the names). */
function samePartition(
  partitionValues: Record<string, number | undefined>,
  partitionColumns: string[],
  p: string,
): { sql: string; params: Params } {
  const params: Params = {};
  const same = partitionColumns.map((col) => {
    params[`${p}${col}`] = partitionValues[col] ?? null;
    return `${ident(col)} = $${p}${col}`;
  });
  return { sql: same.length ? same.join(' AND ') : 'true', params };
}

/** A partition's rows in the target: the table filtered on the partition columns (bound values). */
export function partitionRows(
  catalog: string,
  table: string,
  partitionValues: Record<string, number | undefined>,
  partitionColumns: string[],
): Relation {
  const same = samePartition(partitionValues, partitionColumns, 't_');
  return { sql: `(SELECT * FROM ${qualified(catalog, table)} WHERE ${same.sql})`, params: same.params };
}

/** The median row count of the target's partitions other than this one (NULL when there is none). */
export function otherPartitionsMedian(
  catalog: string,
  table: string,
  partitionValues: Record<string, number | undefined>,
  partitionColumns: string[],
): Statement {
  const cols = partitionColumns.map(ident);
  const same = samePartition(partitionValues, partitionColumns, 'm_');
  return {
    sql:
      `SELECT median("n") AS "median", count(*) AS "partitions" FROM (SELECT count(*) AS "n" FROM ${qualified(catalog, table)} ` +
      `WHERE NOT (${same.sql}) GROUP BY ${cols.join(', ')})`,
    params: same.params,
  };
}

/** The rejects a partition holds in the target (for `backfill check`'s maxRejectedShare). */
export function partitionRejects(catalog: string, table: string, partitionKey: string): Statement {
  return {
    sql: `SELECT count(*) AS "n" FROM ${qualified(catalog, rejectsTable(table))} WHERE partition_key = $partition`,
    params: { partition: partitionKey },
  };
}
