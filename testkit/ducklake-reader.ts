/**
 * Reads a DuckLake the way a user would from another DuckDB: its own instance with the provisioned
 * extensions, the S3 and PostgreSQL credentials as secrets (bound values), the lake attached
 * read-only as "lake". Independent of the destination's code except for the statement builders.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { extensionSettings, loadExtensions } from '../loading/duckdb-extensions';
import * as lake from '../loading/destinations/ducklake/sql';

export interface LakeAccess {
  /** `postgres:<keywords>` (no password) or a local catalog file. */
  catalog: string;
  dataPath: string;
  s3?: { endpoint: string; accessKey: string; secretKey: string };
  pgPassword?: string;
}

export interface LakeReader {
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  close(): void;
}

export async function openLakeReader(access: LakeAccess): Promise<LakeReader> {
  const instance = await DuckDBInstance.create(':memory:', extensionSettings());
  const conn = await instance.connect();
  const close = () => {
    conn.closeSync();
    instance.closeSync();
  };
  try {
    await loadExtensions(conn);
    if (access.s3) {
      const url = new URL(access.s3.endpoint);
      const secret = lake.createS3Secret('reader_s3', {
        keyId: access.s3.accessKey,
        secret: access.s3.secretKey,
        endpoint: url.host,
        region: 'us-east-1',
        useSsl: url.protocol === 'https:',
        urlStyle: 'path',
        scope: 's3://',
      });
      await conn.run(secret.sql, secret.params);
    }
    let pgSecret: string | undefined;
    if (access.pgPassword) {
      pgSecret = 'reader_pg';
      const secret = lake.createPostgresSecret(pgSecret, access.pgPassword);
      await conn.run(secret.sql, secret.params);
    }
    const attach = lake.attachLake(access.catalog, access.dataPath, 'lake', pgSecret);
    await conn.run(attach.sql.replace(/\)$/, ', READ_ONLY)'));
    await conn.run('USE lake');
  } catch (err) {
    close();
    throw err;
  }
  return {
    async query<T>(sql: string) {
      const reader = await conn.runAndReadAll(sql);
      return reader.getRowObjectsJson() as T[];
    },
    close,
  };
}

/**
 * Every file the lake's catalog knows: data and delete files of every table (ducklake_list_files
 * gives full paths) and files scheduled for deletion. A file under the data path outside this set is
 * an orphan.
 */
export async function catalogFiles(reader: LakeReader, dataPath: string): Promise<Set<string>> {
  const tables = await reader.query<{ t: string }>(
    "SELECT table_name AS t FROM duckdb_tables() WHERE database_name = 'lake'",
  );
  const files = new Set<string>();
  for (const { t } of tables) {
    const listed = await reader.query<{ data_file: string; delete_file: string | null }>(
      `SELECT data_file, delete_file FROM ducklake_list_files('lake', '${t.replaceAll("'", "''")}')`,
    );
    for (const f of listed) {
      files.add(f.data_file);
      if (f.delete_file) files.add(f.delete_file);
    }
  }
  const scheduled = await reader.query<{ path: string; path_is_relative: boolean }>(
    'SELECT path, path_is_relative FROM __ducklake_metadata_lake.ducklake_files_scheduled_for_deletion',
  );
  for (const f of scheduled) files.add(f.path_is_relative ? `${dataPath}${f.path}` : f.path);
  return files;
}
