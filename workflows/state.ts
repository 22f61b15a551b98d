/**
 * The parent's bookkeeping: one entry per partition, compact enough to carry through
 * continue-as-new. Pure and deterministic.
 */
import type { PartitionStats, PartitionStatus } from '../common/types';
import { TERMINAL_STATUSES, emptyStats } from '../common/types';

export interface PartitionState {
  key: string;
  status: PartitionStatus;
  stats?: PartitionStats;
  /** Child runs started for this partition by this backfill (retries included). */
  runs: number;
  lastError?: string;
  /** Next start must run even if a closed run exists (explicit retry). */
  force?: boolean;
  startedAt?: number;
  finishedAt?: number;
}

export interface BackfillState {
  partitions: PartitionState[];
  maxConcurrency: number;
  paused: boolean;
  /** Continue-as-new generations so far. */
  generation: number;
  startedAt: number;
}

export type StatusCounts = Record<PartitionStatus, number>;

export interface ProgressRequest {
  /** Include the partition list (default true); limit it to these statuses. */
  partitions?: boolean;
  statuses?: PartitionStatus[];
}

export interface BackfillProgress {
  backfillId: string;
  state: 'running' | 'paused' | 'draining' | 'finished';
  maxConcurrency: number;
  generation: number;
  startedAt: number;
  total: number;
  counts: StatusCounts;
  totals: PartitionStats;
  partitions?: PartitionState[];
}

export type BackfillSummary = Omit<BackfillProgress, 'state'> & { state: 'finished'; finishedAt: number };

export function countStatuses(partitions: PartitionState[]): StatusCounts {
  const counts: StatusCounts = {
    pending: 0,
    running: 0,
    succeeded: 0,
    empty: 0,
    failed: 0,
    cancelled: 0,
    skipped: 0,
  };
  for (const p of partitions) counts[p.status] += 1;
  return counts;
}

export function sumStats(partitions: PartitionState[]): PartitionStats {
  const total = emptyStats();
  for (const p of partitions) {
    if (!p.stats) continue;
    for (const field of Object.keys(total) as (keyof PartitionStats)[]) total[field] += p.stats[field];
  }
  return total;
}

export const isTerminal = (status: PartitionStatus) => TERMINAL_STATUSES.includes(status);
