/** What the activities need from the worker, injected so tests build them for real. */
import type { Logger } from 'pino';
import type { CheckOutcome, LoadPartitionResult } from '../common/types';
import type { Destinations } from '../loading/destinations';
import type { Faults, LoadMetrics } from '../loading/hooks';
import type { Source } from '../loading/sources';
import type { S3Defaults } from '../loading/sources/s3-source';
import type { StagingEngine } from '../loading/staging/engine';
import type { ReadPath } from '../loading/staging/fast-read';

export type { Faults } from '../loading/hooks';

export interface ActivityMetrics extends LoadMetrics {
  partitionStarted: () => void;
  partitionLoaded: (result: LoadPartitionResult) => void;
  partitionFailed: (failureType: string, durationMs: number) => void;
  partitionCancelled: () => void;
  /** Each check's outcome of a partition load (backfill_checks_total by check and outcome). */
  checked?: (outcomes: CheckOutcome[]) => void;
  s3Error: (code: string) => void;
  /** A DuckLake commit conflicted: the seconds its failed attempt and the wait before the re-run took. */
  commitConflict?: (seconds: number) => void;
  /** Seconds a DuckLake commit waited for the table's commit lock. */
  commitLockWait?: (seconds: number) => void;
}

export interface ActivityDeps {
  logger: Logger;
  /** Lists and fetches raw files: one Source that picks local disk or S3 by the uri. */
  source: Source;
  /** The worker-local DuckDB where partitions are staged. */
  staging: StagingEngine;
  /** Where staged batches are committed, opened per spec.target. */
  destinations: Destinations;
  metrics?: ActivityMetrics;
  faults?: Faults;
  /** Files of one partition downloaded at once, ahead of staging; default 4. */
  downloadConcurrency?: number;
  /** Parent of the per-attempt work dirs (downloads); default the OS temp dir. */
  workDir?: string;
  /** Where staged files wait for a retry after a crash; default <tmp>/temporal-backfill-staging. */
  stagingDir?: string;
  /** Partitions of at least this many source bytes keep staged files for resume; default 64 MiB. */
  resumeMinBytes?: number;
  /** auto (default): clean files take the optimistic read; line: every file is read line by line. */
  readPath?: ReadPath;
  /** The worker's S3 defaults (BACKFILL_S3_*), for a staging uri on S3 that does not set its own. */
  s3Defaults?: S3Defaults;
  /** The Temporal worker identity, named in shard logs and stats; default pid@hostname (Temporal's default). */
  workerIdentity?: string;
}
