/**
 * Checks `init` can justify from the typed sample, written commented out for review: notNull for
 * a column the sample never left empty, acceptedValues for a text column with a handful of values
 * over enough rows, and a row-count band relative to the partitions already loaded. A sample is
 * not the data: each proposal says what it saw, and none is on until the operator uncomments it.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { ident } from '../sql/quote';
import type { InferredColumn } from './infer';
import { TYPED } from './suggest';

export interface CheckProposal {
  check: Record<string, unknown>;
  /** What the sample showed, written beside the check. */
  note: string;
}

/** Fewest sampled rows for a small set of distinct values to say something. */
export const ACCEPTED_VALUES_MIN_ROWS = 100;
/** Most distinct values proposed as accepted values. */
export const ACCEPTED_VALUES_MAX = 10;
/** The relative row-count band: half to twice the median partition already in the target. */
const ROW_COUNT_BAND = { relativeMin: 0.5, relativeMax: 2 };

/** Values written into YAML as they are: short, printable text. */
const PRINTABLE = /^[\x20-\x7e\u00a0-\uffff]{1,100}$/u;
const checkName = (column: string, suffix: string) =>
  `${column.replace(/[^A-Za-z0-9_]+/g, '_').slice(0, 100)}_${suffix}`;

export async function suggestChecks(
  conn: DuckDBConnection,
  columns: InferredColumn[],
  options: { rows: number; partitionColumns: string[] },
): Promise<CheckProposal[]> {
  const { rows } = options;
  if (rows === 0) return [];
  const scalar = async (sql: string) => Number((await conn.runAndReadAll(sql)).getRowObjectsJS()[0]?.n ?? 0);
  const proposals: CheckProposal[] = [];
  const names = new Set<string>();
  const add = (proposal: CheckProposal) => {
    const name = proposal.check.name as string;
    if (names.has(name)) return;
    names.add(name);
    proposals.push(proposal);
  };
  for (const c of columns) {
    const filled = await scalar(`SELECT count(${ident(c.name)}) AS n FROM ${ident(TYPED)}`);
    if (filled === rows)
      add({
        check: { name: checkName(c.name, 'not_null'), notNull: { column: c.name } },
        note: `no NULL in ${rows} sampled records`,
      });
    if (c.type !== 'VARCHAR' || rows < ACCEPTED_VALUES_MIN_ROWS) continue;
    const distinct = await scalar(`SELECT count(DISTINCT ${ident(c.name)}) AS n FROM ${ident(TYPED)}`);
    if (distinct === 0 || distinct > ACCEPTED_VALUES_MAX) continue;
    const reader = await conn.runAndReadAll(
      `SELECT DISTINCT ${ident(c.name)} AS v FROM ${ident(TYPED)} WHERE ${ident(c.name)} IS NOT NULL ORDER BY 1`,
    );
    const values = (reader.getRowObjectsJS() as { v: string }[]).map((r) => r.v);
    if (!values.every((v) => PRINTABLE.test(v))) continue;
    add({
      check: {
        name: checkName(c.name, 'accepted'),
        acceptedValues: { column: c.name, values },
        action: 'warn',
      },
      note: `${distinct} distinct value(s) in ${rows} sampled records: warns on a new one`,
    });
  }
  if (options.partitionColumns.length)
    add({
      check: { name: 'row_count_band', rowCount: { ...ROW_COUNT_BAND }, action: 'warn' },
      note: 'rows per partition within 0.5x-2x the median of the partitions already loaded (passes while the target holds none)',
    });
  return proposals;
}
