/**
 * Target tables and catalogs: attaching a DuckDB file, creating the target and its companion tables
 * (rejects, tombstones), reading its columns, and the column changes the schema contract allows.
 */
import type { BackfillSpec } from '../../common/spec';
import { ident, literal, qualified } from './quote';
import type { Statement } from './statement';
import { rejectsTable, targetColumns, tombstoneColumns, tombstonesTable, type ColumnTypes } from './tables';

/** A DuckDB file joins the staging instance as a catalog (ATTACH takes no bound parameters). */
export const attachDatabase = (file: string, catalog: string): Statement => ({
  sql: `ATTACH ${literal(file)} AS ${ident(catalog)}`,
});

export const detachDatabase = (catalog: string): Statement => ({ sql: `DETACH ${ident(catalog)}` });

export function createTargetTable(spec: BackfillSpec, schema: ColumnTypes, catalog: string): Statement {
  const cols = targetColumns(spec, schema).map(([name, type]) => `${ident(name)} ${type}`);
  return { sql: `CREATE TABLE IF NOT EXISTS ${qualified(catalog, spec.target.table)} (${cols.join(', ')})` };
}

export function createRejectsTable(spec: BackfillSpec, catalog: string): Statement {
  return {
    sql:
      `CREATE TABLE IF NOT EXISTS ${qualified(catalog, rejectsTable(spec.target.table))} (` +
      'backfill_id VARCHAR, partition_key VARCHAR, source_file VARCHAR, line BIGINT, raw VARCHAR, reason VARCHAR, rejected_at TIMESTAMP)',
  };
}

/**
 * Tombstones remember merged deletes (key, ordering value, source file), so that an older version
 * of a deleted key, in a partition that commits later, does not bring the row back.
 */
export function createTombstonesTable(spec: BackfillSpec, schema: ColumnTypes, catalog: string): Statement {
  const types = new Map(targetColumns(spec, schema));
  const columns = tombstoneColumns(spec).map((c) => `${ident(c)} ${types.get(c) ?? 'VARCHAR'}`);
  return {
    sql: `CREATE TABLE IF NOT EXISTS ${qualified(catalog, tombstonesTable(spec.target.table))} (${columns.join(', ')})`,
  };
}

/** The target table's columns and types, empty when it does not exist yet. */
export function describeTable(catalog: string, table: string): Statement {
  return {
    sql:
      'SELECT column_name AS name, data_type AS type FROM duckdb_columns() ' +
      "WHERE database_name = $catalog AND schema_name = 'main' AND table_name = $table ORDER BY column_index",
    params: { catalog, table },
  };
}

/** Column types come from the spec's whitelist (or inferred from it), never from data. */
export const addColumn = (catalog: string, table: string, column: string, type: string): Statement => ({
  sql: `ALTER TABLE ${qualified(catalog, table)} ADD COLUMN ${ident(column)} ${type}`,
});

export const widenColumn = (catalog: string, table: string, column: string, type: string): Statement => ({
  sql: `ALTER TABLE ${qualified(catalog, table)} ALTER COLUMN ${ident(column)} SET DATA TYPE ${type}`,
});
