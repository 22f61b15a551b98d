/**
 * The DuckLake destination: the lake is ATTACHed into the worker's staging instance (once per lake
 * per process), with its credentials as DuckDB secrets, so a staged TEMP batch is committed with
 * one MERGE or INSERT transaction per partition. Many processes on many hosts commit to one lake at
 * once; within a process, commits to a lake take turns (they would only conflict with each other).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { BackfillSpec } from '../../../common/spec';
import { queryRows, run } from '../../duckdb';
import type { KeyedMutex } from '../../keyed-mutex';
import * as sql from '../../sql';
import type { StagedBatch } from '../../staging/batch';
import type { StagingEngine } from '../../staging/engine';
import type {
  BatchCommitRequest,
  BatchCommitResult,
  CommitRequest,
  CommitResult,
  Destination,
  TargetColumn,
} from '../destination';
import { attachStatement, prepareLakeAccess } from './access';
import { commitManyToLake, commitToLake, type ConflictPolicy, type LakeCommitOptions } from './commit';
import { NO_COMMIT_LOCK, PostgresCommitLock, type CommitLock } from './commit-lock';
import { configurationProblem, isUnreachable, unreachable } from './errors';
import { lakeIdentity, lakeLocation, lakeTarget, type LakeLocation } from './location';
import { maintainLake } from './maintain';
import * as lake from './sql';

export interface LakeOptions {
  /** The worker's environment: PGPASSWORD, AWS_* (tests pass their own). */
  env?: NodeJS.ProcessEnv;
  /** How long an unreachable catalog is waited for before it is a configuration error. */
  connectWindowMs?: number;
  conflictPolicy?: ConflictPolicy;
  /** A conflict retried, with the seconds its refused attempt and the wait before the re-run took. */
  onConflict?: (seconds: number) => void;
  /** Seconds a commit waited for the table's commit lock. */
  onLockWait?: (seconds: number) => void;
}

const DEFAULT_CONNECT_WINDOW_MS = 20_000;
/** How long a lost race to create a new catalog waits for the winner to commit it. */
const RACED_INIT_WINDOW_MS = 60_000;

export class DuckLakeDestination implements Destination {
  /** The lake's catalog name in the staging instance; a new one after a failed attach (see attach). */
  private alias: string;
  /** Commits to a table take turns across processes where the catalog can lock (PostgreSQL). */
  private readonly lock: CommitLock;

  private constructor(
    private readonly engine: StagingEngine,
    private readonly location: LakeLocation,
    private readonly identity: string,
    private readonly where: string,
    private readonly commits: KeyedMutex,
    private readonly options: LakeOptions,
  ) {
    this.alias = location.alias;
    this.lock = location.postgres
      ? new PostgresCommitLock(engine, () => lake.metadataCatalog(this.alias), options.onLockWait)
      : NO_COMMIT_LOCK;
  }

  /**
   * Loads the extensions, creates the secrets and attaches the lake. A catalog that refuses the
   * connection is waited for (a restart) up to the connect window; every other failure to attach is
   * a configuration error with one line.
   */
  static async open(
    engine: StagingEngine,
    commits: KeyedMutex,
    spec: BackfillSpec,
    options: LakeOptions = {},
  ): Promise<DuckLakeDestination> {
    const target = lakeTarget(spec);
    const location = lakeLocation(target);
    const where = `DuckLake ${location.postgres ? target.catalog : location.catalogPath} (${location.dataPath})`;
    const destination = new DuckLakeDestination(
      engine,
      location,
      lakeIdentity(target),
      where,
      commits,
      options,
    );
    await commits.run(destination.identity, () => destination.attach(spec));
    return destination;
  }

  private async attach(spec: BackfillSpec): Promise<void> {
    const { location } = this;
    const env = this.options.env ?? process.env;
    const conn = await this.engine.connect();
    const started = Date.now();
    try {
      const pgSecret = await prepareLakeAccess(conn, spec, location, env, { create: true });
      let attempts = 0;
      for (;;) {
        try {
          await run(conn, attachStatement(location, this.alias, pgSecret));
          return;
        } catch (err) {
          if (/database with name "[^"]*" already exists/i.test((err as Error).message)) return;
          const problem = configurationProblem(err, this.where);
          if (problem) throw problem;
          const waited = Date.now() - started;
          // Two processes attaching a new lake at once both create its catalog tables: one loses.
          const racedInit = /already exists|duplicate key/i.test((err as Error).message);
          if (!isUnreachable(err) && !racedInit) throw err;
          // A failed attach can leave state behind under its name (a raced initialisation is
          // retried forever under the same name): each attempt gets a fresh one.
          this.alias = `${location.alias}_${++attempts}`;
          // The winner of a raced initialisation may take a while to commit on a loaded host: that
          // wait is bounded on its own, not by the (short, configurable) unreachable window.
          const window = racedInit
            ? RACED_INIT_WINDOW_MS
            : (this.options.connectWindowMs ?? DEFAULT_CONNECT_WINDOW_MS);
          if (waited >= window) throw unreachable(err, this.where, waited);
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    } catch (err) {
      throw configurationProblem(err, this.where) ?? err;
    } finally {
      conn.closeSync();
    }
  }

  /** After a failure that may have broken the catalog connection, the lake is attached afresh. */
  private async reattach(spec: BackfillSpec): Promise<void> {
    const conn = await this.engine.connect();
    try {
      await run(conn, lake.detachLake(this.alias)).catch(() => undefined);
    } finally {
      conn.closeSync();
    }
    await this.attach(spec);
  }

  commit(batch: StagedBatch, request: CommitRequest): Promise<CommitResult> {
    return this.inTurn(request, (options) => commitToLake(this.alias, batch, request, options));
  }

  commitMany(request: BatchCommitRequest): Promise<BatchCommitResult> {
    return this.inTurn(request, (options) => commitManyToLake(this.alias, request, options));
  }

  /** A commit in this process's turn on the lake, reattaching after a failure that lost the catalog. */
  private inTurn<T>(
    request: Pick<CommitRequest, 'spec' | 'signal'>,
    commit: (options: LakeCommitOptions) => Promise<T>,
  ): Promise<T> {
    return this.commits.run(
      this.identity,
      async () => {
        try {
          return await commit({
            where: this.where,
            // Specs from before the option have none: the lock is the default.
            lock: lakeTarget(request.spec).commitLock === 'none' ? NO_COMMIT_LOCK : this.lock,
            ...(this.options.conflictPolicy ? { policy: this.options.conflictPolicy } : {}),
            ...(this.options.onConflict ? { onConflict: this.options.onConflict } : {}),
          });
        } catch (err) {
          if (isUnreachable(err)) await this.reattach(request.spec).catch(() => undefined);
          throw err;
        }
      },
      request.signal,
    );
  }

  maintain(spec: BackfillSpec) {
    // Maintenance rewrites the table's files: under the commit lock, it never makes a commit re-run.
    return this.commits.run(this.identity, () =>
      this.lock.hold(spec.target.table, () =>
        this.withConnection((conn) => maintainLake(conn, this.alias, spec)),
      ),
    );
  }

  describe(spec: BackfillSpec): Promise<TargetColumn[]> {
    return this.withConnection((conn) =>
      queryRows<TargetColumn>(conn, sql.describeTable(this.alias, spec.target.table)),
    );
  }

  /** The lake stays attached for the process; the staging engine's close detaches it. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  private async withConnection<T>(work: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    const conn = await this.engine.connect();
    try {
      return await work(conn);
    } finally {
      conn.closeSync();
    }
  }
}
