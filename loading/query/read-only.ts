/**
 * Read-only connections to a spec's target, one opener per target type, with the settings the
 * workers use. A DuckDB file is opened READ_ONLY, so a query never takes the write lock a worker
 * needs; while a worker holds the file, DuckDB's lock error becomes one line saying so. A DuckLake
 * is attached READ_ONLY the way the workers attach it (same extensions, secrets from this process's
 * environment), so it answers while workers commit: each query reads one committed snapshot.
 */
import { existsSync } from 'node:fs';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { DuckDbSettings } from '../staging/engine';
import { instanceSettings } from '../staging/engine';
import type { BackfillSpec } from '../../common/spec';
import { run } from '../duckdb';
import { attachStatement, prepareLakeAccess } from '../destinations/ducklake/access';
import { configurationProblem, messageOf } from '../destinations/ducklake/errors';
import { lakeLocation, lakeTarget } from '../destinations/ducklake/location';

export interface ReadOnlyTarget {
  connection: DuckDBConnection;
  /** What the query reads, for messages ("warehouse.duckdb"). */
  describe: string;
  /** The catalog the target's tables are in on `connection` (`backfill check` qualifies names with it). */
  catalog: string;
  close(): void;
}

/** The target cannot be read now (missing, locked); the message says what to do. */
export class TargetUnavailableError extends Error {
  override name = 'TargetUnavailableError';
  constructor(
    readonly reason: 'missing' | 'locked' | 'unreadable',
    message: string,
  ) {
    super(message);
  }
}

type Target = BackfillSpec['target'];

/** The name a DuckLake is attached under for queries: `lake.snapshots()`, `lake.table_changes(...)`. */
export const LAKE_QUERY_ALIAS = 'lake';

/**
 * One case per target type (a DuckLake target: ATTACH with its secrets, READ_ONLY); the compiler
 * rejects a target type without one. `env` holds a lake's credentials (PGPASSWORD, AWS_*).
 */
export function openReadOnly(
  spec: BackfillSpec,
  settings: DuckDbSettings,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ReadOnlyTarget> {
  const target = spec.target;
  switch (target.type) {
    case 'duckdb':
      return openDuckDbFile(target, settings);
    case 'ducklake':
      return openDuckLake(spec, settings, env);
  }
}

async function openDuckLake(
  spec: BackfillSpec,
  settings: DuckDbSettings,
  env: NodeJS.ProcessEnv,
): Promise<ReadOnlyTarget> {
  const target = lakeTarget(spec);
  const location = lakeLocation(target);
  const where = `DuckLake ${location.postgres ? target.catalog : location.catalogPath} (${location.dataPath})`;
  if (!location.postgres && !existsSync(location.catalogPath))
    throw new TargetUnavailableError(
      'missing',
      `${location.catalogPath} does not exist yet: no partition has been loaded into the lake`,
    );
  const instance = await DuckDBInstance.create(':memory:', instanceSettings(settings));
  const connection = await instance.connect();
  const close = () => {
    connection.closeSync();
    instance.closeSync();
  };
  try {
    const pgSecret = await prepareLakeAccess(connection, spec, location, env, { create: false });
    await run(connection, attachStatement(location, LAKE_QUERY_ALIAS, pgSecret, { readOnly: true }));
    // Unqualified table names are the lake's.
    await run(connection, { sql: `USE ${LAKE_QUERY_ALIAS}` });
  } catch (err) {
    close();
    const problem = configurationProblem(err, where);
    throw new TargetUnavailableError(
      'unreadable',
      problem?.message ?? `cannot read ${where}: ${messageOf(err).split('\n')[0]}`,
    );
  }
  return { connection, describe: where, catalog: LAKE_QUERY_ALIAS, close };
}

async function openDuckDbFile(target: Extract<Target, { type: 'duckdb' }>, settings: DuckDbSettings) {
  if (!existsSync(target.path))
    throw new TargetUnavailableError(
      'missing',
      `${target.path} does not exist yet: no partition has been loaded into it`,
    );
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(target.path, {
      ...instanceSettings(settings),
      access_mode: 'READ_ONLY',
    });
  } catch (err) {
    const message = (err as Error).message;
    if (/Could not set lock|Conflicting lock/i.test(message)) {
      const pid = /\(PID (\d+)\)/.exec(message)?.[1];
      throw new TargetUnavailableError(
        'locked',
        `${target.path} is locked by a running worker${pid ? ` (pid ${pid})` : ''}: stop it, or use a DuckLake target to read while loading`,
      );
    }
    throw new TargetUnavailableError('unreadable', `cannot open ${target.path}: ${message.split('\n')[0]}`);
  }
  const connection = await instance.connect();
  const [row] = (await connection.runAndReadAll('SELECT current_database() AS name')).getRowObjectsJS() as {
    name: string;
  }[];
  return {
    connection,
    describe: target.path,
    catalog: row!.name,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}
