/**
 * Only reading statements reach a target through `backfill query`: the SQL is split and each
 * statement prepared (which parses and binds without running it), and its type must be a read.
 * READ_ONLY would refuse a write anyway; refusing up front gives one clear line, also for COPY
 * TO, ATTACH or SET, which read-only mode allows.
 */
import { StatementType, type DuckDBConnection, type DuckDBPreparedStatement } from '@duckdb/node-api';

export class QueryRefusedError extends Error {
  override name = 'QueryRefusedError';
}

const READS = new Set<StatementType>([StatementType.SELECT, StatementType.EXPLAIN]);

/** The statement, prepared and checked to be a read; the caller runs it. */
export async function prepareRead(
  connection: DuckDBConnection,
  sql: string,
): Promise<DuckDBPreparedStatement> {
  const statements = await connection.extractStatements(sql);
  if (statements.count === 0) throw new QueryRefusedError('no SQL statement given');
  if (statements.count > 1) throw new QueryRefusedError(`one statement at a time (got ${statements.count})`);
  const prepared = await statements.prepare(0);
  const type = prepared.statementType;
  if (!READS.has(type)) {
    prepared.destroySync();
    throw new QueryRefusedError(
      `refused: ${StatementType[type] ?? 'this'} statement; backfill query only reads (SELECT, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN)`,
    );
  }
  return prepared;
}
