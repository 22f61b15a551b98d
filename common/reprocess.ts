/** What a reprocess mode does with a partition's last run. Pure: used by the planner and the parent's up-front check. */
import type { BackfillSpec } from './spec';

/** Run statuses (Temporal's names) that `reprocess: failed` runs again. */
const FAILED_RUNS = ['FAILED', 'CANCELLED', 'TERMINATED', 'TIMED_OUT'];

/** Mirrors the ID-reuse policies the parent uses per reprocess mode; `none` = no run recorded. */
export function wouldRun(reprocess: BackfillSpec['reprocess'], lastRun: string): boolean {
  if (lastRun === 'none') return true;
  if (lastRun === 'RUNNING') return false;
  if (reprocess === 'completed') return true;
  if (reprocess === 'failed') return FAILED_RUNS.includes(lastRun);
  return false;
}
