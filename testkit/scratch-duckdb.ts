/** An in-memory DuckDB for a suite to write source files with (Parquet, CSV), apart from the loader's. */
import { after, before } from 'node:test';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

/** Opened before the suite's tests and closed after them; `conn` is filled in place. */
export function useScratchDuckDB(): { conn: DuckDBConnection } {
  const scratch = {} as { conn: DuckDBConnection };
  let db: DuckDBInstance | undefined;
  before(async () => {
    db = await DuckDBInstance.create(':memory:');
    scratch.conn = await db.connect();
  });
  after(() => {
    scratch.conn?.closeSync();
    db?.closeSync();
  });
  return scratch;
}
