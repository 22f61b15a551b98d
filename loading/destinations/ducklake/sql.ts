/**
 * DuckLake statements beyond the shared write SQL (loading/sql/write.ts): partitioning and sort order,
 * the commit guard, snapshots, maintenance, secrets and ATTACH. Identifiers are quoted and values
 * bound, except where DuckDB takes no parameter (ATTACH; snapshot ids in AT, which are checked
 * integers): there the value is a quoted literal.
 */
import type { BackfillSpec } from '../../../common/spec';
import {
  ident,
  isDeleted,
  keysMatch,
  literal,
  mergeBatch,
  qualified,
  sourceIsNewer,
  targetColumns,
  tombstonesTable,
  type ColumnTypes,
  type Statement,
  type WriteScope,
} from '../../sql';

/**
 * A one-row lake table every commit updates. DuckLake lets two concurrent MERGEs that both insert
 * the same key commit (the table then holds the key twice); bumping one shared row makes any two
 * overlapping commits conflict, so the later one rolls back and re-runs on the newer snapshot.
 */
export const guardTable = (table: string) => `${table}__commit_guard`;

export const createGuard = (catalog: string, table: string): Statement => ({
  sql: `CREATE TABLE IF NOT EXISTS ${qualified(catalog, guardTable(table))} AS SELECT 0::BIGINT AS commits`,
});

export const bumpGuard = (catalog: string, table: string): Statement => ({
  sql: `UPDATE ${qualified(catalog, guardTable(table))} SET commits = commits + 1`,
});

/**
 * The commit lock (commit-lock.ts), taken in the caller's open transaction on the catalog's
 * PostgreSQL database: waits at most `waitMs`, then fails with a lock timeout. The key is a
 * computed integer, the database a bound value.
 */
export const takeCommitLock = (database: string, key: bigint, waitMs: number): Statement => ({
  sql: 'CALL postgres_execute($database, $statement)',
  params: {
    database,
    statement: `SET LOCAL lock_timeout = ${Math.round(waitMs)}; SELECT pg_advisory_xact_lock(${key.toString()})`,
  },
});

export const setPartitionedBy = (catalog: string, table: string, columns: string[]): Statement => ({
  sql: `ALTER TABLE ${qualified(catalog, table)} SET PARTITIONED BY (${columns.map(ident).join(', ')})`,
});

/** DuckLake sorts on insert and when it merges files (maintenance.clusterBy). */
export const setSortedBy = (catalog: string, table: string, columns: string[]): Statement => ({
  sql: `ALTER TABLE ${qualified(catalog, table)} SET SORTED BY (${columns.map((c) => `${ident(c)} ASC`).join(', ')})`,
});

/** The snapshot this connection's last COMMIT made. */
export const lastCommittedSnapshot = (catalog: string): Statement => ({
  sql: `SELECT id FROM ${ident(catalog)}.last_committed_snapshot()`,
});

export const mergeAdjacentFiles = (catalog: string, table: string): Statement => ({
  sql: 'CALL ducklake_merge_adjacent_files($catalog, $table)',
  params: { catalog, table },
});

export const expireSnapshots = (catalog: string, retentionSeconds: number): Statement => ({
  sql: 'SELECT count(*) AS n FROM ducklake_expire_snapshots($catalog, older_than => now() - to_seconds($s::DOUBLE))',
  params: { catalog, s: retentionSeconds },
});

export const cleanupOldFiles = (catalog: string, retentionSeconds: number): Statement => ({
  sql: 'SELECT count(*) AS n FROM ducklake_cleanup_old_files($catalog, older_than => now() - to_seconds($s::DOUBLE))',
  params: { catalog, s: retentionSeconds },
});

export const deleteOrphanedFiles = (catalog: string, graceSeconds: number): Statement => ({
  sql: 'SELECT count(*) AS n FROM ducklake_delete_orphaned_files($catalog, older_than => now() - to_seconds($s::DOUBLE))',
  params: { catalog, s: graceSeconds },
});

/** The metadata catalog DuckLake attaches beside the lake (its tables: ducklake_data_file, ...). */
export const metadataCatalog = (catalog: string) => `__ducklake_metadata_${catalog}`;

/** Bytes of the table's live data files. */
export const liveDataBytes = (catalog: string): Statement => ({
  sql: `SELECT coalesce(sum(file_size_bytes), 0)::BIGINT AS bytes FROM ${ident(metadataCatalog(catalog))}.ducklake_data_file WHERE end_snapshot IS NULL`,
});

export interface S3SecretValues {
  keyId?: string | undefined;
  secret?: string | undefined;
  sessionToken?: string | undefined;
  /** host[:port], without the scheme. */
  endpoint?: string | undefined;
  region: string;
  useSsl: boolean;
  urlStyle: 'path' | 'vhost';
  scope: string;
}

/** Credentials are bound values: they never appear in SQL text (nor, so, in any error about it). */
export function createS3Secret(name: string, s3: S3SecretValues): Statement {
  const params: Record<string, string | boolean> = {
    region: s3.region,
    ssl: s3.useSsl,
    style: s3.urlStyle,
    scope: s3.scope,
  };
  const parts = ['TYPE s3', 'REGION $region', 'USE_SSL $ssl', 'URL_STYLE $style', 'SCOPE $scope'];
  for (const [key, option] of [
    ['keyId', 'KEY_ID'],
    ['secret', 'SECRET'],
    ['sessionToken', 'SESSION_TOKEN'],
    ['endpoint', 'ENDPOINT'],
  ] as const) {
    const value = s3[key];
    if (value) {
      params[key] = value;
      parts.push(`${option} $${key}`);
    }
  }
  return { sql: `CREATE OR REPLACE SECRET ${ident(name)} (${parts.join(', ')})`, params };
}

export const createPostgresSecret = (name: string, password: string): Statement => ({
  sql: `CREATE OR REPLACE SECRET ${ident(name)} (TYPE postgres, PASSWORD $password)`,
  params: { password },
});

/** ATTACH takes no parameters: the catalog and data path are quoted literals (they hold no secret). */
export function attachLake(
  catalogPath: string,
  dataPath: string,
  alias: string,
  pgSecret: string | undefined,
  { readOnly = false }: { readOnly?: boolean } = {},
): Statement {
  const options = [`DATA_PATH ${literal(dataPath)}`];
  if (pgSecret) options.push(`METADATA_PARAMETERS MAP {'SECRET': ${literal(pgSecret)}}`);
  if (readOnly) options.push('READ_ONLY');
  return { sql: `ATTACH ${literal(`ducklake:${catalogPath}`)} AS ${ident(alias)} (${options.join(', ')})` };
}

export const detachLake = (alias: string): Statement => ({ sql: `DETACH ${ident(alias)}` });
export const detachIfAttached = (alias: string): Statement => ({
  sql: `DETACH DATABASE IF EXISTS ${ident(alias)}`,
});

/**
 * The merge for DuckLake, whose MERGE takes one UPDATE or DELETE action: with a delete-flag column,
 * the rows a newer flagged version deletes go first (DELETE ... USING), then the unflagged rows are
 * merged. The batch holds one row per key, so the two never touch the same key; same semantics as
 * the one-statement MERGE (sql.mergeBatch), which is used as is without a delete column.
 */
export function lakeMergeBatch(
  spec: BackfillSpec,
  schema: ColumnTypes,
  scope: WriteScope,
  tombstones: boolean,
): Statement[] {
  const column = spec.target.deleteColumn;
  if (!column) return [mergeBatch(spec, schema, scope, tombstones)];
  const cols = targetColumns(spec, schema).map(([name]) => ident(name));
  const on = keysMatch(spec);
  const newer = sourceIsNewer(spec);
  const flag = isDeleted(column, 's');
  const batch = ident(scope.batch);
  const source = tombstones
    ? `(SELECT * FROM ${batch} AS s WHERE NOT EXISTS (SELECT 1 FROM ${qualified(scope.catalog, tombstonesTable(spec.target.table))} AS t ` +
      `WHERE ${on} AND NOT ${newer}))`
    : batch;
  const target = qualified(scope.catalog, spec.target.table);
  return [
    { sql: `DELETE FROM ${target} AS t USING ${source} AS s WHERE ${on} AND ${newer} AND ${flag}` },
    {
      sql:
        `MERGE INTO ${target} AS t USING (SELECT * FROM ${source} AS s WHERE NOT ${flag}) AS s ON ${on} ` +
        `WHEN MATCHED AND ${newer} THEN UPDATE SET ${cols.map((c) => `${c} = s.${c}`).join(', ')} ` +
        `WHEN NOT MATCHED THEN INSERT (${cols.join(', ')}) VALUES (${cols.map((c) => `s.${c}`).join(', ')})`,
    },
  ];
}
