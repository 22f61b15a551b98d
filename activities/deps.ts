/** What the activities need from the worker, injected so tests build them for real. */
import type { Logger } from 'pino';
import type { LoadPartitionResult } from '../common/types';
import type { Source } from './sources';
import type { Target } from './target';

export interface ActivityMetrics {
  partitionStarted: () => void;
  partitionLoaded: (result: LoadPartitionResult) => void;
  partitionFailed: (failureType: string, durationMs: number) => void;
  partitionCancelled: () => void;
  fileStaged: (bytes: number) => void;
  merged: (durationMs: number) => void;
  s3Error: (code: string) => void;
}

/** Fault injection for chaos and cancellation tests; never set in production. */
export interface Faults {
  delayBeforeCommitMs?: (partitionKey: string) => number;
  delayAfterFileMs?: (partitionKey: string, fileIndex: number) => number;
  /** Holds the commit until the returned promise settles (or the activity is cancelled). */
  holdBeforeCommit?: (partitionKey: string) => Promise<void> | undefined;
}

export interface ActivityDeps {
  logger: Logger;
  sources: Source;
  target: Target;
  metrics?: ActivityMetrics;
  faults?: Faults;
  /** Files of one partition downloaded at once, ahead of staging; default 4. */
  downloadConcurrency?: number;
  /** Parent of the per-attempt work dirs (downloads); default the OS temp dir. */
  workDir?: string;
  /** Where staged files wait for a retry after a crash; default <tmp>/temporal-backfill-staging. */
  stagingDir?: string;
}
