/**
 * What a partition load needs from whoever runs it (the Temporal activity, a test): logging,
 * cancellation, a cancellable sleep, progress to heartbeat, resume data, metrics and faults.
 * The engine itself knows nothing of Temporal.
 */
import type { Logger } from 'pino';
import type { LoadProgress } from './staging/resume';

export interface LoadMetrics {
  fileStaged: (bytes: number) => void;
  merged: (durationMs: number) => void;
  /**
   * Which way a file was read: the optimistic read (fast, with the format it was read as) or line by
   * line (staging/fast-read.ts).
   */
  /** How long a partition's checks took (spec checks; not called without checks). */
  checksRan?: (durationMs: number) => void;
  fileRead?: (path: 'fast' | 'line', format?: 'ndjson' | 'json' | 'csv' | 'parquet') => void;
}

/** Fault injection for chaos and cancellation tests; never set in production. */
export interface Faults {
  delayBeforeCommitMs?: (partitionKey: string) => number;
  delayAfterFileMs?: (partitionKey: string, fileIndex: number) => number;
  /** Holds the commit until the returned promise settles (or the load is cancelled). */
  holdBeforeCommit?: (partitionKey: string) => Promise<void> | undefined;
}

export interface LoadHooks {
  partitionKey: string;
  log: Logger;
  /** Aborts the load: running DuckDB statements are interrupted, a waiting commit gives up. */
  signal: AbortSignal;
  /** Sleeps, or rejects as soon as the load is cancelled. */
  sleep: (ms: number) => Promise<void>;
  /** Updated as the load goes; the runner reports it (heartbeat details). */
  progress: LoadProgress;
  /** Where staged files are kept for a retry, and what the interrupted attempt reported. */
  resume: { dir: string; previous?: LoadProgress | undefined };
  metrics?: LoadMetrics | undefined;
  faults?: Faults | undefined;
}

/** Settles when the signal aborts (rejecting), so a wait can be raced against cancellation. */
export function whenAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const abort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('cancelled'));
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
  });
}
