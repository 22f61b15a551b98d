/** Reading a target DuckDB file and holding it against the generator's oracle. */
import assert from 'node:assert/strict';
import { DuckDBInstance } from '@duckdb/node-api';
import { oracleLines, TARGET_LINES_SQL, type OracleRow } from './dataset';

/** Reads a DuckDB file with a fresh instance (the worker must have released it). */
export async function queryFile<T = Record<string, unknown>>(file: string, sql: string): Promise<T[]> {
  const instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  try {
    const conn = await instance.connect();
    const reader = await conn.runAndReadAll(sql);
    conn.closeSync();
    return reader.getRowObjectsJson() as T[];
  } finally {
    instance.closeSync();
  }
}

/** What reads a DuckDB file: a fresh instance (`queryFile`), or a loader that holds the file open. */
export interface FileReader {
  query<T>(file: string, sql: string): Promise<T[]>;
}

/** The transactions table as comparable lines, in the oracle's order. */
export async function targetLines(
  target: string,
  reader: FileReader = { query: queryFile },
): Promise<string[]> {
  return (await reader.query<{ line: string }>(target, TARGET_LINES_SQL('transactions'))).map((r) => r.line);
}

/** Asserts the target table holds exactly the oracle: one row per key, the latest version, same values. */
export async function assertTargetEqualsOracle(
  target: string,
  oracle: Map<string, OracleRow>,
): Promise<void> {
  const lines = await targetLines(target);
  assert.equal(lines.length, oracle.size, 'row count');
  assert.deepEqual(lines, oracleLines(oracle));
}
