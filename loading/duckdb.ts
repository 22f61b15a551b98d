/** Running built statements on a DuckDB connection: SQL text plus bound parameters, never spliced. */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Statement } from './sql';

export async function run(conn: DuckDBConnection, statement: Statement): Promise<void> {
  await conn.run(statement.sql, statement.params);
}

export async function queryRows<T = Record<string, unknown>>(
  conn: DuckDBConnection,
  statement: Statement,
): Promise<T[]> {
  const reader = await conn.runAndReadAll(statement.sql, statement.params);
  return reader.getRowObjectsJS() as T[];
}

/** Rows a write statement changed (inserted, updated or deleted). */
export async function changedRows(conn: DuckDBConnection, statement: Statement): Promise<number> {
  const result = await conn.run(statement.sql, statement.params);
  return Number(result.rowsChanged);
}
