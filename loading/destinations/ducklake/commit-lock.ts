/**
 * Commits to one lake table take turns across processes and hosts. DuckLake's concurrency is
 * optimistic: two overlapping commits to a table conflict (the commit guard makes sure they do), and
 * the loser re-runs its whole transaction — its MERGE read the table for nothing. Under the lock a
 * writer waits instead, and its transaction starts from the snapshot the previous holder committed,
 * so writers that take it never conflict with each other. The optimistic path stays the safety net:
 * writers that do not take the lock (another tool, a SQLite or DuckDB-file catalog) still conflict
 * and are re-run.
 *
 * With a PostgreSQL catalog the lock is a transaction-level advisory lock in the catalog database
 * (the lake's own metadata connection, so no other credentials): held by an open transaction of
 * its own, released when that transaction ends — or when the holder's connection dies (a killed
 * worker never leaves it behind). The wait is in slices (lock_timeout), so a cancelled partition
 * leaves the queue within one slice.
 */
import { createHash } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { run } from '../../duckdb';
import * as sql from '../../sql';
import type { StagingEngine } from '../../staging/engine';
import { messageOf } from './errors';
import * as lake from './sql';

export interface CommitLock {
  /** Runs `work` while this process holds the table's commit lock. */
  hold<T>(table: string, work: () => Promise<T>, signal?: AbortSignal): Promise<T>;
}

/** Catalogs without a lock service (a local file: one host) rely on conflicts alone. */
export const NO_COMMIT_LOCK: CommitLock = { hold: (_table, work) => work() };

/** How long one wait for the lock lasts before the cancellation check and the next wait. */
const WAIT_SLICE_MS = 2000;

/** A 64-bit advisory lock key per table name (a PostgreSQL database is one lake's catalog). */
export function commitLockKey(table: string): bigint {
  return createHash('sha256').update(`temporal-backfill commit\n${table}`).digest().readBigInt64BE(0);
}

const isLockTimeout = (err: unknown) => /lock timeout/i.test(messageOf(err));

export class PostgresCommitLock implements CommitLock {
  /** `database`: the attached PostgreSQL database that holds the lake's catalog. */
  constructor(
    private readonly engine: StagingEngine,
    private readonly database: () => string,
    private readonly onWait?: (seconds: number) => void,
  ) {}

  async hold<T>(table: string, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const conn = await this.engine.connect();
    try {
      const asked = performance.now();
      await this.acquire(conn, table, signal);
      this.onWait?.((performance.now() - asked) / 1000);
      try {
        return await work();
      } finally {
        // Nothing was written on this connection: ending its transaction only releases the lock.
        await run(conn, sql.rollbackTransaction).catch(() => undefined);
      }
    } finally {
      conn.closeSync();
    }
  }

  private async acquire(conn: DuckDBConnection, table: string, signal?: AbortSignal) {
    const statement = lake.takeCommitLock(this.database(), commitLockKey(table), WAIT_SLICE_MS);
    for (;;) {
      signal?.throwIfAborted();
      await run(conn, sql.beginTransaction);
      try {
        await run(conn, statement);
        return;
      } catch (err) {
        await run(conn, sql.rollbackTransaction).catch(() => undefined);
        if (!isLockTimeout(err)) throw err;
      }
    }
  }
}
