/** Post-load maintenance: optional rewrite ordered by the cluster columns, then statistics and space. */
import { ident, qualified } from './quote';
import type { Statement } from './statement';
import { beginTransaction, commitTransaction } from './write';

export function rewriteOrdered(catalog: string, table: string, clusterBy: string[]): Statement[] {
  const sorted = `${table}__backfill_sorted`;
  return [
    beginTransaction,
    { sql: `DROP TABLE IF EXISTS ${qualified(catalog, sorted)}` },
    {
      sql: `CREATE TABLE ${qualified(catalog, sorted)} AS SELECT * FROM ${qualified(catalog, table)} ORDER BY ${clusterBy.map(ident).join(', ')}`,
    },
    { sql: `DROP TABLE ${qualified(catalog, table)}` },
    { sql: `ALTER TABLE ${qualified(catalog, sorted)} RENAME TO ${ident(table)}` },
    commitTransaction,
  ];
}

export const analyzeTable = (catalog: string, table: string): Statement => ({
  sql: `ANALYZE ${qualified(catalog, table)}`,
});

export const vacuumTable = (catalog: string, table: string): Statement => ({
  sql: `VACUUM ${qualified(catalog, table)}`,
});

export const checkpoint = (catalog: string): Statement => ({ sql: `CHECKPOINT ${ident(catalog)}` });

export const rowCount = (catalog: string, table: string): Statement => ({
  sql: `SELECT count(*) AS n FROM ${qualified(catalog, table)}`,
});

export const databaseSize = (catalog: string): Statement => ({
  sql: 'SELECT total_blocks * block_size AS bytes FROM pragma_database_size() WHERE database_name = $catalog',
  params: { catalog },
});
