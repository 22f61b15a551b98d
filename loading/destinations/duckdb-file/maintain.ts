/** DuckDB file maintenance: optional rewrite ordered by cluster columns, ANALYZE, CHECKPOINT, VACUUM. */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { BackfillSpec } from '../../../common/spec';
import type { MaintenanceReport } from '../../../common/types';
import { queryRows, run } from '../../duckdb';
import * as sql from '../../sql';

export async function maintainDuckDbFile(
  conn: DuckDBConnection,
  catalog: string,
  spec: BackfillSpec,
): Promise<Omit<MaintenanceReport, 'durationMs'>> {
  const table = spec.target.table;
  const size = async () =>
    Number((await queryRows<{ bytes: bigint }>(conn, sql.databaseSize(catalog)))[0]?.bytes ?? 0);
  const bytesBefore = await size();
  if ((await queryRows(conn, sql.describeTable(catalog, table))).length === 0) {
    return { steps: [], rowCount: 0, bytesBefore, bytesAfter: bytesBefore };
  }
  const steps: string[] = [];
  if (spec.maintenance.clusterBy.length) {
    for (const statement of sql.rewriteOrdered(catalog, table, spec.maintenance.clusterBy))
      await run(conn, statement);
    steps.push(`rewrite ordered by ${spec.maintenance.clusterBy.join(', ')}`);
  }
  await run(conn, sql.analyzeTable(catalog, table));
  steps.push('analyze');
  await run(conn, sql.checkpoint(catalog));
  steps.push('checkpoint');
  await run(conn, sql.vacuumTable(catalog, table));
  steps.push('vacuum');
  const [count] = await queryRows<{ n: bigint }>(conn, sql.rowCount(catalog, table));
  return { steps, rowCount: Number(count?.n ?? 0), bytesBefore, bytesAfter: await size() };
}
