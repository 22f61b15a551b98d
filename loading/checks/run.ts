/**
 * Checks on a partition's staged, deduped batch, inside its load and before its commit: row checks
 * count (and drop) violating rows, partition checks measure the batch. A drop moves its rows from
 * the batch to the stage table's rejects (reason "check <name>", the row's values as JSON, the
 * winning record's file and line), so the destination writes them to <table>__rejects as it writes
 * any reject, and the counts still reconcile (accepted → rejected). Relative row counts need the
 * target, so they run in the destination's transaction (inTransaction). A failed check throws
 * CheckFailedError before anything is written (or, in the transaction, rolls it back).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { CheckFailedError } from '../../common/failures';
import { parsePartitionKey } from '../../common/partitions';
import { checkColumns, kindOf, type BackfillSpec, type CheckSpec } from '../../common/spec';
import type { CheckOutcome } from '../../common/types';
import { queryRows, run } from '../duckdb';
import * as sql from '../sql';
import type { StagedBatch } from '../staging/batch';
import { evaluateFreshness, evaluateRowChecks, rowChecksOf, type CheckScope } from './evaluate';
import { failureMessage, rejectedShareOutcome, rowCountOutcome } from './outcome';

/** A batch's checks: the outcomes so far, and what still runs inside the commit's transaction. */
export interface BatchChecks {
  /** In the spec's order; a relative rowCount's outcome is filled in by inTransaction. */
  outcomes: CheckOutcome[];
  /** Reads the target's other partitions (relative row counts) inside the commit's transaction; throws when a check fails. */
  inTransaction?: (conn: DuckDBConnection, catalog: string) => Promise<void>;
}

const isRelative = (c: CheckSpec) =>
  c.rowCount !== undefined && (c.rowCount.relativeMin !== undefined || c.rowCount.relativeMax !== undefined);

/**
 * Runs the spec's checks on the batch (the batch's `rowCount` and `counts.rowsRejected` follow its
 * drops). `where` prefixes the failure message in a batch commit (which partition failed).
 */
export async function checkBatch(
  batch: StagedBatch,
  spec: BackfillSpec,
  partitionKey: string,
  where = '',
): Promise<BatchChecks> {
  if (spec.checks.length === 0) return { outcomes: [] };
  const types = { ...checkColumns(spec), ...batch.schema };
  // A dropped row's raw text and an expression's samples are the row's data: no load metadata
  // (file and line are the reject's own columns), so they read the same whenever it was loaded.
  const rowColumns = sql
    .targetColumns(spec, batch.schema)
    .map(([name]) => name)
    .filter((name) => !Object.hasOwn(sql.LINEAGE_COLUMNS, name));
  const scope: CheckScope = {
    conn: batch.conn,
    from: sql.tableRelation(batch.table),
    types,
    rowColumns,
    rows: batch.rowCount,
  };
  const rowChecks = rowChecksOf(spec.checks);
  const rowOutcomes = await evaluateRowChecks(scope, rowChecks);
  const byName = new Map(rowOutcomes.map((o) => [o.name, o]));
  const failed = () => [...byName.values()].some((o) => o.outcome === 'failed');
  const drops = rowChecks.filter((c) => byName.get(c.name)?.outcome === 'dropped');
  // Nothing lands when a check failed, so its drops are left undone.
  if (drops.length && !failed()) await dropRows(batch, scope, drops);

  const after = { ...scope, rows: batch.rowCount };
  const outcomes: CheckOutcome[] = [];
  for (const check of spec.checks) {
    const kind = kindOf(check);
    if (byName.has(check.name)) outcomes.push(byName.get(check.name)!);
    else if (kind === 'rowCount') outcomes.push(rowCountOutcome(check, batch.rowCount));
    else if (kind === 'freshness') {
      const column = check.freshness!.column ?? spec.target.orderingColumn!;
      outcomes.push(await evaluateFreshness(after, check, column, partitionKey, spec.range.granularity));
    } else outcomes.push(rejectedShareOutcome(check, batch.counts.rowsRead, batch.counts.rowsRejected));
  }
  throwIfFailed(outcomes, where, partitionKey);
  const relative = spec.checks.filter(isRelative);
  if (relative.length === 0) return { outcomes };
  const values: Record<string, number | undefined> = {
    ...parsePartitionKey(partitionKey, spec.range.granularity),
  };
  return {
    outcomes,
    inTransaction: async (conn, catalog) => {
      const [m] = await queryRows<{ median: number | null }>(
        conn,
        sql.otherPartitionsMedian(catalog, spec.target.table, values, spec.target.partitionColumns),
      );
      const median = m?.median === null || m?.median === undefined ? null : Number(m.median);
      for (const check of relative) {
        const i = spec.checks.indexOf(check);
        outcomes[i] = rowCountOutcome(check, batch.rowCount, median);
      }
      throwIfFailed(outcomes, where, partitionKey);
    },
  };
}

export function throwIfFailed(outcomes: CheckOutcome[], where: string, partitionKey: string): void {
  const message = failureMessage(outcomes);
  if (message) throw new CheckFailedError(`${where}${message}`, outcomes, partitionKey);
}

/**
 * The drop checks' violating rows leave the batch for the stage table's rejects. A row two drop
 * checks name is dropped once, with the first one's reason. The base tables are written (a batch
 * commit's partition reads views over them).
 */
async function dropRows(batch: StagedBatch, scope: CheckScope, drops: CheckSpec[]): Promise<void> {
  const { conn } = batch;
  await run(conn, sql.createDropped);
  for (const check of drops)
    await run(conn, sql.addDropped(check, scope.from, scope.types, scope.rowColumns, `check ${check.name}`));
  const [dropped] = await queryRows<{ n: bigint }>(conn, sql.droppedCount);
  const n = Number(dropped?.n ?? 0);
  if (n === 0) return;
  await run(conn, sql.markDropped(batch.base?.stage ?? batch.stageTable));
  await run(conn, sql.deleteDropped(batch.base?.batch ?? batch.table));
  batch.rowCount -= n;
  batch.counts.rowsRejected += n;
}
