/**
 * The DuckDB-file destination: the target file is attached to the staging engine, so a staged batch
 * (a TEMP table on the staging connection) is written into it with one MERGE or INSERT, in one
 * transaction, one commit at a time per file.
 */
import path from 'node:path';
import type { BackfillSpec } from '../../../common/spec';
import { BackfillError } from '../../../common/failures';
import { queryRows } from '../../duckdb';
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
import type { DuckDbFileCatalogs } from './catalogs';
import { writeBatch, writeBatches } from './commit';
import { maintainDuckDbFile } from './maintain';

export class DuckDbFileDestination implements Destination {
  private constructor(
    private readonly engine: StagingEngine,
    private readonly file: string,
    private readonly catalog: string,
    private readonly commits: KeyedMutex,
  ) {}

  /**
   * Attaches the spec's target file. A lock held by another process (a second worker, a DuckDB
   * shell) is worth retrying later; any other failure to open it is a configuration problem.
   */
  static async open(
    engine: StagingEngine,
    catalogs: DuckDbFileCatalogs,
    commits: KeyedMutex,
    spec: BackfillSpec,
  ): Promise<DuckDbFileDestination> {
    if (spec.target.type !== 'duckdb') throw new Error(`target type ${spec.target.type} is not duckdb`);
    const file = path.resolve(spec.target.path);
    try {
      return new DuckDbFileDestination(engine, file, await catalogs.attach(file), commits);
    } catch (err) {
      const message = (err as Error).message;
      if (/lock/i.test(message)) {
        throw new BackfillError(
          'TargetWriteError',
          `target ${file} is locked by another process: ${message}`,
          {
            cause: err,
          },
        );
      }
      throw new BackfillError('ConfigurationError', `cannot open target ${file}: ${message}`, { cause: err });
    }
  }

  commit(batch: StagedBatch, request: CommitRequest): Promise<CommitResult> {
    return this.commits.run(
      this.file,
      () => {
        request.onTurn?.();
        return writeBatch(batch.conn, this.catalog, batch, request);
      },
      request.signal,
    );
  }

  commitMany(request: BatchCommitRequest): Promise<BatchCommitResult> {
    const conn = request.partitions[0]?.batch.conn;
    if (!conn) return Promise.resolve({ rowsWritten: [] });
    return this.commits.run(
      this.file,
      () => {
        request.onTurn?.();
        return writeBatches(conn, this.catalog, request);
      },
      request.signal,
    );
  }

  maintain(spec: BackfillSpec) {
    // Serialised with commits: a rewrite must not race a partition's MERGE.
    return this.commits.run(this.file, async () => {
      const conn = await this.engine.connect();
      try {
        return await maintainDuckDbFile(conn, this.catalog, spec);
      } finally {
        conn.closeSync();
      }
    });
  }

  async describe(spec: BackfillSpec): Promise<TargetColumn[]> {
    const conn = await this.engine.connect();
    try {
      return await queryRows<TargetColumn>(conn, sql.describeTable(this.catalog, spec.target.table));
    } finally {
      conn.closeSync();
    }
  }

  /** The file stays attached for the process (see DuckDbFileCatalogs); nothing to release per spec. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
