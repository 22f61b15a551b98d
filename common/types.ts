/** Domain types shared by workflows, activities and the CLI. Pure types only. */
import type { BackfillSpec } from './spec';

export type PartitionStatus =
  'pending' | 'running' | 'succeeded' | 'empty' | 'failed' | 'cancelled' | 'skipped';

export const TERMINAL_STATUSES: readonly PartitionStatus[] = [
  'succeeded',
  'empty',
  'failed',
  'cancelled',
  'skipped',
];

/** What one load of one partition did; the counts reconcile: rowsRead = rowsAccepted + duplicatesRemoved + rowsRejected. */
export interface PartitionStats extends PartitionCounts {
  /** DuckLake: commits of this partition refused by a concurrent writer's and re-run (optional: older histories lack it). */
  conflictsRetried?: number;
  /** DuckLake: the snapshot the partition's commit made; `AT (VERSION => id - 1)` reads the table without it. */
  snapshotId?: number;
  /** Each declared check's outcome, in the spec's order (absent without checks, and in older histories). */
  checks?: CheckOutcome[];
  /** A sharded partition (spec source.shards): its shards, how many a retry reused, and who staged them. */
  shards?: ShardStats;
  /**
   * Set on a running partition's stats that `status` made only to show its live `shards`: the
   * counts are zero placeholders (not the partition's), left out of tables and added to no totals.
   */
  live?: true;
}

export type CheckAction = 'warn' | 'drop' | 'fail';
export type CheckResultKind = 'passed' | 'warned' | 'dropped' | 'failed';

/** What one check found in one partition (spec checks). */
export interface CheckOutcome {
  name: string;
  kind:
    | 'notNull'
    | 'unique'
    | 'acceptedValues'
    | 'range'
    | 'pattern'
    | 'expression'
    | 'rowCount'
    | 'freshness'
    | 'maxRejectedShare';
  action: CheckAction;
  outcome: CheckResultKind;
  /** Row checks: violating rows; partition checks: 0 or 1. */
  violations: number;
  /** Rows the check looked at (the deduped batch). */
  checked: number;
  /** Up to 5 sample violating values (text, first 200 chars each). */
  samples: string[];
  /** Partition checks: what was measured (row count, median ratio, coverage, rejected share). */
  observed?: number;
  /** One line for humans, e.g. "12 of 4000 rows violate amount >= 0". */
  message: string;
}

/** A sharded partition's shards: staged (done) of total, reused from an earlier attempt, per worker. */
export interface ShardStats {
  total: number;
  done: number;
  reused: number;
  /** Temporal worker identity → shards it staged (reused ones count for the worker that found them). */
  workers: Record<string, number>;
}

/** The counts every load reports (summed into the backfill's totals and carried across continue-as-new). */
export interface PartitionCounts {
  files: number;
  /** Files a retry took from the staging of an interrupted attempt instead of reading them again. */
  filesReused: number;
  bytes: number;
  rowsRead: number;
  /** Rows in the deduped batch offered to the target (merged, or inserted by an overwrite). */
  rowsAccepted: number;
  duplicatesRemoved: number;
  rowsRejected: number;
  /** Rows the target reported changed (a merge skips rows older than what it holds; an overwrite inserts every accepted row). */
  rowsWritten: number;
  attempts: number;
  durationMs: number;
}

export interface LoadPartitionInput {
  backfillId: string;
  partitionKey: string;
  spec: BackfillSpec;
}

export interface LoadPartitionResult extends PartitionStats {
  status: 'succeeded' | 'empty';
}

/** A child loads one partition, or several small ones in a batch (spec.partitionsPerChild). */
export interface PartitionWorkflowInput {
  backfillId: string;
  spec: BackfillSpec;
  partitionKeys: string[];
  /** A sharded partition's progress, carried by the child through continue-as-new. */
  sharded?: CarriedShards;
  /** Finished shards per child run before it continues as new (tests set a small one; default 500). */
  shardsPerRun?: number;
}

/**
 * A sharded partition's plan, as planShards decided it once: the plan (its file list) is a manifest
 * at the staging location; history holds only its id and sizes.
 */
export interface ShardPlan {
  /** Names the attempt's staging folder: <staging.uri>/<backfillId>/<partitionKey>/<planId>/. */
  planId: string;
  shards: number;
  files: number;
  bytes: number;
}

export interface PlanShardsInput {
  backfillId: string;
  partitionKey: string;
  spec: BackfillSpec;
  /** The plan's id (the child's first run id): the attempt folder. */
  planId: string;
}

/** Below spec source.shards.minPartitionBytes, or with fewer than 2 shards, the partition loads unsharded. */
export type PlanShardsResult =
  ({ unsharded?: false } & ShardPlan) | { unsharded: true; files: number; bytes: number };

export interface StageShardInput {
  backfillId: string;
  partitionKey: string;
  spec: BackfillSpec;
  planId: string;
  shard: number;
}

/** What one shard staged (or found staged by an earlier attempt and reused). */
export interface StageShardResult {
  shard: number;
  files: number;
  bytes: number;
  /** Records read, rejected, removed as duplicates inside the shard, and staged (the shard's deduped good rows). */
  rowsRead: number;
  rowsRejected: number;
  duplicatesRemoved: number;
  rowsStaged: number;
  reused: boolean;
  /** The worker that staged (or reused) it: Temporal's worker identity. */
  worker: string;
}

/** The counts of finished shards, summed; the commit reconciles against them. */
export interface ShardCounts {
  /** Files of the shards an earlier attempt had finished (not read again). */
  filesReused: number;
  rowsRead: number;
  rowsRejected: number;
  duplicatesRemoved: number;
  rowsStaged: number;
}

/** A sharded child's state across continue-as-new: the plan, which shards are done, their sums. */
export interface CarriedShards {
  plan: ShardPlan;
  /** Done shards as ranges "a-b,c,d-e" (ascending), so 10,000 shards stay a short string. */
  done: string;
  counts: ShardCounts;
  reused: number;
  workers: Record<string, number>;
  /** When the first run started (the result's durationMs covers every run). */
  startedAt: number;
}

export interface CommitShardsInput {
  backfillId: string;
  partitionKey: string;
  spec: BackfillSpec;
  plan: ShardPlan;
  /** What the shards reported, summed: the commit checks its own reading against it. */
  counts: ShardCounts;
}

export interface CleanupShardsInput {
  backfillId: string;
  partitionKey: string;
  spec: BackfillSpec;
  /** The attempt whose commit is durable; every other attempt of the partition not running is removed too. */
  planId: string;
}

/** `start`/`plan` ask a worker whether the staging location is reachable and writable. */
export interface ProbeStagingInput {
  spec: BackfillSpec;
}

/** `backfill plan` lists partitions on a worker, with the workers' sources and credentials. */
export interface ListPartitionsInput {
  backfillId: string;
  spec: BackfillSpec;
  partitionKeys: string[];
}

/** Per partition, in the order of the keys asked for: its files and their bytes. */
export interface PartitionListing {
  files: number[];
  bytes: number[];
  /** Shards each partition would load in (spec source.shards; 0 = unsharded), by the load's own split. */
  shards?: number[];
}

/** One partition's outcome inside a child. */
export type PartitionOutcome =
  | LoadPartitionResult
  | {
      status: 'failed';
      error: string;
      failureType?: string;
      attempts: number;
      /** A CheckFailedError: every check's outcome (from the failure's details). */
      checks?: CheckOutcome[];
    };

export interface PartitionWorkflowResult {
  results: Record<string, PartitionOutcome>;
}

/** Details of a failed child: every partition's outcome, so the parent keeps per-partition stats. */
export type PartitionFailureDetails = PartitionWorkflowResult;

export const emptyStats = (): PartitionStats => ({
  files: 0,
  filesReused: 0,
  bytes: 0,
  rowsRead: 0,
  rowsAccepted: 0,
  duplicatesRemoved: 0,
  rowsRejected: 0,
  rowsWritten: 0,
  attempts: 0,
  durationMs: 0,
});

/**
 * A batched child's partitions, for one activity that lists them all, records the empty ones and
 * loads those of at most `maxBytes` (each in its own transaction); every other partition is left
 * to its own loadPartition activity.
 */
export interface LoadSmallPartitionsInput {
  backfillId: string;
  spec: BackfillSpec;
  partitionKeys: string[];
  maxBytes: number;
}

/** The partitions the batch activity settled (loaded or empty); the rest load on their own. */
export interface LoadSmallPartitionsResult {
  results: Record<string, LoadPartitionResult>;
}

/**
 * A batched child's partitions loaded together (spec commit: batch): listed, read in one scan,
 * deduped per partition and committed in one transaction, all or nothing.
 */
export interface LoadBatchInput {
  backfillId: string;
  spec: BackfillSpec;
  partitionKeys: string[];
}

/** Every partition of the batch: succeeded, or empty (no files). */
export interface LoadBatchResult {
  results: Record<string, LoadPartitionResult>;
}

/** What a failed batch load tells the workflow beside its error: which partitions had no files. */
export interface LoadBatchFailureDetails {
  attempt: number;
  empty?: string[];
  /** A failed check: the outcomes of the partition whose check failed (its key starts the message). */
  checks?: CheckOutcome[];
  /** The partition those checks are of. */
  checksOf?: string;
}

/** A batched child's partitions, listed up front to find the empty ones. */
export interface FindEmptyPartitionsInput {
  backfillId: string;
  spec: BackfillSpec;
  partitionKeys: string[];
}

/** A re-run's planned child keys (`2019-03`, or `first..last` for a batch), to find the finished ones. */
export interface FindFinishedChildrenInput {
  backfillId: string;
  reprocess: BackfillSpec['reprocess'];
  childKeys: string[];
}

export interface MaintainTargetInput {
  spec: BackfillSpec;
}

/** What post-load maintenance did, reported in the backfill summary. */
export interface MaintenanceReport {
  steps: string[];
  rowCount: number;
  bytesBefore: number;
  bytesAfter: number;
  durationMs: number;
}
