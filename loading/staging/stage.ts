/**
 * Stage phase: every raw record of the partition is typed against the effective schema in one pass;
 * a record that does not fit stays in the stage table with its reason (the quarantine). Failfast
 * stops here, before anything is written.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { BackfillError } from '../../common/failures';
import type { BackfillSpec } from '../../common/spec';
import { queryRows, run } from '../duckdb';
import * as sql from '../sql';

export interface StageCounts {
  rowsRead: number;
  rowsRejected: number;
}

/**
 * Fills the stage table from the staged records (the optimistic read, when it took any file, has
 * put its rows there already; `lineRows` false: it took every file); returns how many were read
 * and rejected.
 */
export async function stageRecords(
  conn: DuckDBConnection,
  spec: BackfillSpec,
  schema: sql.ColumnTypes,
  fastRows = false,
  lineRows = true,
): Promise<StageCounts> {
  if (!fastRows) await run(conn, sql.createStageTable(schema));
  else {
    // The optimistic read's rows are there (declared columns); new columns are NULL for them.
    for (const [name, type] of Object.entries(schema))
      if (!(name in spec.schema)) await run(conn, sql.addStageColumn(name, type));
  }
  // Skipped when every file took the optimistic read: planning the typed pass alone costs ~8 ms.
  if (lineRows)
    await run(
      conn,
      // Specs from before the option (recorded workflow inputs) convert, the default.
      sql.stageFromRaw(schema, spec.target.keyColumns, {
        timestampOffsets: spec.timestampOffsets ?? 'convert',
      }),
    );
  // The raw text is in the stage table now; free its memory before the dedupe sorts.
  if (lineRows) for (const statement of sql.dropRawTables) await run(conn, statement);

  const [counts] = await queryRows<{ total: bigint; rejected: bigint }>(conn, sql.stageCounts);
  const rowsRead = Number(counts?.total ?? 0);
  const rowsRejected = Number(counts?.rejected ?? 0);
  if (rowsRejected > 0 && spec.readMode === 'failfast') {
    const [bad] = await queryRows<{ file: string; line: bigint; reason: string }>(conn, sql.firstRejected);
    throw new BackfillError(
      'BadRecordError',
      `bad record in ${bad?.file} line ${bad?.line}: ${bad?.reason} (readMode failfast; ${rowsRejected} bad record(s) in the partition)`,
    );
  }
  return { rowsRead, rowsRejected };
}
