/**
 * The rule that merges a backfill's runs (a `retry` after it closed, or another `start` of the same
 * id, is a new run that skips what earlier runs did): a partition shows its latest real outcome. Used
 * by the CLI (`status`, `list`, `watch`) and by the parent workflow's UI details, so both say the
 * same. Pure and workflow-safe.
 */
import type { PartitionStatus } from './types';

/**
 * Whether a run's entry replaces what an earlier run recorded. A skip is no outcome (the earlier
 * run's stands), nor is a partition waiting its turn, nor one cancelled before it started.
 */
export function isOutcome(p: { status: PartitionStatus; runs: number }): boolean {
  if (p.status === 'skipped' || p.status === 'pending') return false;
  return !(p.status === 'cancelled' && p.runs === 0);
}
