/** DuckDB file maintenance: optional rewrite ordered by cluster columns, ANALYZE, CHECKPOINT, VACUUM. */
import * as sql from '../../sql';
import { runMaintenance, statementsStep, type Maintain } from '../maintenance';

export const maintainDuckDbFile: Maintain = (conn, catalog, spec) => {
  const table = spec.target.table;
  const { clusterBy } = spec.maintenance;
  const step = (line: string, ...statements: sql.Statement[]) => statementsStep(conn, line, ...statements);
  return runMaintenance(conn, { catalog, table, size: sql.databaseSize(catalog) }, [
    ...(clusterBy.length
      ? [step(`rewrite ordered by ${clusterBy.join(', ')}`, ...sql.rewriteOrdered(catalog, table, clusterBy))]
      : []),
    step('analyze', sql.analyzeTable(catalog, table)),
    step('checkpoint', sql.checkpoint(catalog)),
    step('vacuum', sql.vacuumTable(catalog, table)),
  ]);
};
