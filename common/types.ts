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

/** What one load of one partition did; the counts reconcile: rowsRead = rowsMerged + duplicatesRemoved + rowsRejected. */
export interface PartitionStats {
  files: number;
  /** Files a retry took from the staging of an interrupted attempt instead of reading them again. */
  filesReused: number;
  bytes: number;
  rowsRead: number;
  rowsMerged: number;
  duplicatesRemoved: number;
  rowsRejected: number;
  /** Rows the target reported changed (a merge skips rows older than what it holds). */
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

export type PartitionWorkflowInput = LoadPartitionInput;
export type PartitionWorkflowResult = LoadPartitionResult;

/** Details carried by a failed partition workflow so the parent can show attempts and the cause. */
export interface PartitionFailureDetails {
  attempts: number;
  failureType?: string;
}

export const emptyStats = (): PartitionStats => ({
  files: 0,
  filesReused: 0,
  bytes: 0,
  rowsRead: 0,
  rowsMerged: 0,
  duplicatesRemoved: 0,
  rowsRejected: 0,
  rowsWritten: 0,
  attempts: 0,
  durationMs: 0,
});
