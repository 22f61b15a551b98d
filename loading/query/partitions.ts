/**
 * The partitions a target holds rows of, read from its partition columns in one scan: what
 * `backfill check` runs the checks on by default.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { GRANULARITY_COLUMNS, plannedKeys } from '../../common/partitions';
import type { BackfillSpec } from '../../common/spec';
import { queryRows } from '../duckdb';
import { ident, qualified } from '../sql/quote';

const pad = (n: unknown, width = 2) => String(n).padStart(width, '0');

/** The range's partitions with at least one row in the target, in plan order; all of them when the target has no partition columns. */
export async function partitionsInTarget(
  conn: DuckDBConnection,
  catalog: string,
  spec: BackfillSpec,
): Promise<string[]> {
  const planned = plannedKeys(spec);
  const columns = GRANULARITY_COLUMNS[spec.range.granularity];
  if (!columns.every((c) => spec.target.partitionColumns.includes(c))) return planned;
  const rows = await queryRows<Record<string, unknown>>(conn, {
    sql:
      `SELECT DISTINCT ${columns.map((c) => `${ident(c)} AS ${ident(c)}`).join(', ')} ` +
      `FROM ${qualified(catalog, spec.target.table)}`,
  });
  const present = new Set(
    rows.map((r) => {
      const [y, mo, d, h] = columns.map((c) => r[c]);
      let key = pad(y, 4);
      if (mo !== undefined) key += `-${pad(mo)}`;
      if (d !== undefined) key += `-${pad(d)}`;
      if (h !== undefined) key += `T${pad(h)}`;
      return key;
    }),
  );
  return planned.filter((k) => present.has(k));
}
