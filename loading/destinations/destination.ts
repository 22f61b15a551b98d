/**
 * A destination receives a partition's staged batch (a table in the staging engine) with the commit
 * request and writes it in one transaction. Staging never knows which destination it feeds;
 * workflows know neither. The DuckDB file is one destination; another (Parquet files on S3 with a
 * catalog, many writers) implements the same calls and gets a variant of `target.type`.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { PartitionColumn } from '../../common/partitions';
import type { BackfillSpec } from '../../common/spec';
import type { MaintenanceReport } from '../../common/types';
import type { StagedBatch } from '../staging/batch';

export interface CommitRequest {
  spec: BackfillSpec;
  backfillId: string;
  partitionKey: string;
  partitionValues: Partial<Record<PartitionColumn, number>>;
  loadedAt: string;
  /** Quarantine rejected rows (read mode permissive). */
  keepRejects: boolean;
  /** Called inside the transaction just before COMMIT; throwing rolls everything back. */
  beforeCommit: () => Promise<void>;
  /** Aborts a commit still waiting for its turn on the target (the partition was cancelled). */
  signal?: AbortSignal;
  /** Called when the commit's turn comes (after the waits for other commits), as its transaction starts. */
  onTurn?: () => void;
  /**
   * Called in the transaction before the partition's write, on the connection that writes (spec
   * checks read the target's other partitions here); throwing rolls everything back.
   */
  inTransaction?: PartitionCommit['inTransaction'];
}

export interface CommitResult {
  rowsWritten: number;
  /** Commits refused by a concurrent writer's and re-run (DuckLake). */
  conflictsRetried?: number;
  /** The snapshot the commit made (DuckLake). */
  snapshotId?: number;
}

/** One partition of a batch commit: its staged batch and where its rows go. */
export interface PartitionCommit {
  batch: StagedBatch;
  partitionKey: string;
  partitionValues: Partial<Record<PartitionColumn, number>>;
  /** In the transaction, before this partition's write (see CommitRequest.inTransaction). */
  inTransaction?: (conn: DuckDBConnection, catalog: string) => Promise<void>;
}

/**
 * Several partitions in one transaction (spec commit: batch): each partition's write is exactly the
 * one its own commit would run (merge, or overwrite's delete and insert, then its rejects), in the
 * order given, so the target ends as after separate commits in that order, or, on any failure, as
 * before. `beforeCommit`, `signal` and `onTurn` are the transaction's.
 */
export interface BatchCommitRequest extends Omit<
  CommitRequest,
  'partitionKey' | 'partitionValues' | 'inTransaction'
> {
  partitions: PartitionCommit[];
}

export interface BatchCommitResult {
  /** Per partition, in the order of the request. */
  rowsWritten: number[];
  conflictsRetried?: number;
  snapshotId?: number;
}

export interface TargetColumn {
  name: string;
  type: string;
}

export interface Destination {
  /** Writes the staged batch of one partition in one transaction: all of it or nothing. */
  commit(batch: StagedBatch, request: CommitRequest): Promise<CommitResult>;
  /** Writes several partitions' staged batches (same staging connection) in one transaction. */
  commitMany(request: BatchCommitRequest): Promise<BatchCommitResult>;
  /** Post-load maintenance (compaction, clustering, statistics), after every partition. */
  maintain(spec: BackfillSpec): Promise<Omit<MaintenanceReport, 'durationMs'>>;
  /** The target table's columns, empty when it does not exist yet (for the schema contract). */
  describe(spec: BackfillSpec): Promise<TargetColumn[]>;
  /** Releases what the destination holds open (worker shutdown). */
  close(): Promise<void>;
}

/** Opens destinations by `spec.target`, one per target identity, kept open for the process. */
export interface Destinations {
  /** The destination of the spec's target, ready to commit; fails fast if the target cannot be opened. */
  open(spec: BackfillSpec): Promise<Destination>;
  close(): Promise<void>;
}
