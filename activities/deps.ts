/** What the activities need from the worker, injected so tests build them for real. */
import type { Logger } from 'pino';
import type { BackfillSpec } from '../common/spec';
import type { LoadPartitionResult } from '../common/types';
import type { SourceFile } from './sources';
import type { Target } from './target';

export interface Sources {
  /** Files of one partition, each readable at `localPath` for the duration of the attempt. */
  list(spec: BackfillSpec, partitionKey: string): Promise<SourceFile[]>;
}

export interface ActivityMetrics {
  partitionLoaded(result: LoadPartitionResult): void;
}

/** Fault injection for chaos and cancellation tests; never set in production. */
export interface Faults {
  delayBeforeCommitMs?: (partitionKey: string) => number;
}

export interface ActivityDeps {
  logger: Logger;
  sources: Sources;
  target: Target;
  metrics?: ActivityMetrics;
  faults?: Faults;
}
