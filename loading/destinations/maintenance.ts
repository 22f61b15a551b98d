/**
 * What every destination's maintenance shares: the table's size before, nothing to do while the
 * table does not exist yet, the destination's own steps in order (each says what it did, for the
 * report), then the row count and the size after. A destination says only what its steps are and
 * how its size is measured.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { BackfillSpec } from '../../common/spec';
import type { MaintenanceReport } from '../../common/types';
import { queryRows, run } from '../duckdb';
import * as sql from '../sql';

/** A destination's maintenance of the spec's table in the catalog (database or lake) it is attached as. */
export type Maintain = (
  conn: DuckDBConnection,
  catalog: string,
  spec: BackfillSpec,
) => Promise<Omit<MaintenanceReport, 'durationMs'>>;

/** One maintenance step: does its work and returns its line of the report. */
export type MaintenanceStep = () => Promise<string>;

/** The number a statement returns as `n` in its first row (0 when it returns none). */
async function countOf(conn: DuckDBConnection, statement: sql.Statement): Promise<number> {
  return Number((await queryRows<{ n: bigint }>(conn, statement))[0]?.n ?? 0);
}

/** A step that runs the statements in order; its line is `line`. */
export const statementsStep =
  (conn: DuckDBConnection, line: string, ...statements: sql.Statement[]): MaintenanceStep =>
  async () => {
    for (const statement of statements) await run(conn, statement);
    return line;
  };

/** A step whose statement returns how many things it did (as `n`); its line is `line: n`. */
export const countedStep =
  (conn: DuckDBConnection, line: string, statement: sql.Statement): MaintenanceStep =>
  async () =>
    `${line}: ${await countOf(conn, statement)}`;

/** Runs the steps in order on the table, if it exists; `size` returns the bytes it takes (as `bytes`). */
export async function runMaintenance(
  conn: DuckDBConnection,
  target: { catalog: string; table: string; size: sql.Statement },
  steps: MaintenanceStep[],
): Promise<Omit<MaintenanceReport, 'durationMs'>> {
  const { catalog, table } = target;
  const bytes = async () => Number((await queryRows<{ bytes: bigint }>(conn, target.size))[0]?.bytes ?? 0);
  const bytesBefore = await bytes();
  if ((await queryRows(conn, sql.describeTable(catalog, table))).length === 0) {
    return { steps: [], rowCount: 0, bytesBefore, bytesAfter: bytesBefore };
  }
  const done: string[] = [];
  for (const step of steps) done.push(await step());
  const rowCount = await countOf(conn, sql.rowCount(catalog, table));
  return { steps: done, rowCount, bytesBefore, bytesAfter: await bytes() };
}
