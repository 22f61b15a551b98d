/** Reading a target DuckDB file and holding it against the generator's oracle. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
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

/** SHA-256 over comparable lines (oracleLines, TARGET_LINES_SQL): one checksum over every value. */
export const sha256Lines = (lines: string[]) => createHash('sha256').update(lines.join('\n')).digest('hex');

/** A table's lines in three numbers: rows, distinct keys (the first field), checksum. */
export function linesDigest(lines: string[]): { rows: number; keys: number; sha256: string } {
  return {
    rows: lines.length,
    keys: new Set(lines.map((l) => l.slice(0, l.indexOf('|')))).size,
    sha256: sha256Lines(lines),
  };
}

/**
 * Asserts a table's lines equal the expected ones: the count, the key set, the checksum, then line
 * by line (the first three fail with a message that says which; the last shows the difference).
 */
export function assertLinesEqual(actual: string[], expected: string[]): void {
  const keys = (lines: string[]) => lines.map((l) => l.slice(0, l.indexOf('|')));
  assert.equal(actual.length, expected.length, 'row count');
  const [have, want] = [new Set(keys(actual)), new Set(keys(expected))];
  if (want.size === expected.length) assert.equal(have.size, actual.length, 'a key is in the table twice');
  assert.deepEqual(
    [...want].filter((k) => !have.has(k)).slice(0, 5),
    [],
    'keys of the oracle missing from the table',
  );
  assert.deepEqual(
    [...have].filter((k) => !want.has(k)).slice(0, 5),
    [],
    'keys in the table, not the oracle',
  );
  if (sha256Lines(actual) !== sha256Lines(expected)) {
    const wrong = actual.filter((line, i) => line !== expected[i]).slice(0, 5);
    assert.fail(`checksum over all values differs; first wrong rows: ${wrong.join(' ; ')}`);
  }
}

/** Asserts the target table holds exactly the oracle: one row per key, the latest version, same values. */
export async function assertTargetEqualsOracle(
  target: string,
  oracle: Map<string, OracleRow>,
): Promise<void> {
  assertLinesEqual(await targetLines(target), oracleLines(oracle));
}

/**
 * The oracle recomputed from the raw NDJSON files under `year=YYYY/month=MM/` alone, per partition:
 * one row per key, the latest `updated_at`, flagged deletes dropped; sorted. Overwrite's oracle, and
 * merge's for a single partition — independent of the generator's bookkeeping.
 */
export function latestPerPartitionLines(rawDir: string): string[] {
  const lines: string[] = [];
  for (const yearDir of readdirSync(rawDir)) {
    for (const monthDir of readdirSync(path.join(rawDir, yearDir))) {
      const [year, month] = [Number(yearDir.split('=')[1]), Number(monthDir.split('=')[1])];
      const latest = new Map<string, Record<string, unknown>>();
      for (const file of readdirSync(path.join(rawDir, yearDir, monthDir))) {
        for (const line of readFileSync(path.join(rawDir, yearDir, monthDir, file), 'utf8').split('\n')) {
          if (!line.trim()) continue;
          const tx = JSON.parse(line) as Record<string, string>;
          const have = latest.get(tx.transaction_id!);
          if (!have || tx.updated_at! >= (have.updated_at as string)) latest.set(tx.transaction_id!, tx);
        }
      }
      const rows = new Map<string, never>();
      for (const [id, tx] of latest) if (!tx.deleted) rows.set(id, { ...tx, year, month } as never);
      lines.push(...oracleLines(rows));
    }
  }
  return lines.sort();
}
