/**
 * How a process reaches a lake: the extensions it loads, its credentials as DuckDB secrets (from
 * the environment, bound values), and the ATTACH statement. The destination (read-write, waiting
 * out a restarting catalog) and `backfill query` (READ_ONLY, from another process while workers
 * write) both go through here, so a reader sees the lake exactly as the workers do.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { BackfillSpec } from '../../../common/spec';
import { loadExtensions, type DuckDbExtension } from '../../duckdb-extensions';
import { run } from '../../duckdb';
import { s3SecretValues, type LakeLocation } from './location';
import * as lake from './sql';

/**
 * Loads the extensions and creates the secrets on the connection's instance; returns the name of
 * the PostgreSQL secret ATTACH refers to (none without PGPASSWORD: libpq then reads PGPASSFILE).
 * `create` makes a local data directory and catalog folder (a writer); a reader creates nothing.
 */
export async function prepareLakeAccess(
  conn: DuckDBConnection,
  spec: BackfillSpec,
  location: LakeLocation,
  env: NodeJS.ProcessEnv,
  options: { create: boolean },
): Promise<string | undefined> {
  const extensions: DuckDbExtension[] = ['ducklake'];
  if (location.s3) extensions.push('httpfs');
  if (location.postgres) extensions.push('postgres_scanner');
  await loadExtensions(conn, extensions);
  if (location.s3)
    await run(conn, lake.createS3Secret(`${location.alias}_s3`, s3SecretValues(spec, location, env)));
  else if (options.create) mkdirSync(location.dataPath, { recursive: true });
  if (!location.postgres && options.create)
    mkdirSync(path.dirname(location.catalogPath), { recursive: true });
  const pgSecret = location.postgres && env.PGPASSWORD ? `${location.alias}_pg` : undefined;
  if (pgSecret) await run(conn, lake.createPostgresSecret(pgSecret, env.PGPASSWORD!));
  return pgSecret;
}

/** The ATTACH for a prepared connection (prepareLakeAccess), under `alias`. */
export const attachStatement = (
  location: LakeLocation,
  alias: string,
  pgSecret: string | undefined,
  options: { readOnly?: boolean } = {},
) => lake.attachLake(location.catalogPath, location.dataPath, alias, pgSecret, options);
