/**
 * Read-only connections to a spec's target, one opener per target type, with the settings the
 * workers use. A DuckDB file is opened READ_ONLY, so a query never takes the write lock a worker
 * needs; while a worker holds the file, DuckDB's lock error becomes one line saying so.
 */
import { existsSync } from 'node:fs';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { DuckDbSettings } from '../staging/engine';
import { instanceSettings } from '../staging/engine';
import type { BackfillSpec } from '../../common/spec';

export interface ReadOnlyTarget {
  connection: DuckDBConnection;
  /** What the query reads, for messages ("warehouse.duckdb"). */
  describe: string;
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

/**
 * One case per target type (a DuckLake target: ATTACH with its secrets, READ_ONLY); the compiler
 * rejects a target type without one.
 */
export function openReadOnly(target: Target, settings: DuckDbSettings): Promise<ReadOnlyTarget> {
  switch (target.type) {
    case 'duckdb':
      return openDuckDbFile(target, settings);
  }
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
  return {
    connection,
    describe: target.path,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}
