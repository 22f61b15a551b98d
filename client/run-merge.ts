/**
 * A backfill is more than its last run: a `retry` after it closed, or a second `start` with the same
 * id, is a new run that skips what earlier runs did. These pure functions number a backfill's runs
 * and merge their partition outcomes so each partition shows its latest real outcome and the run it
 * came from. They also rebuild a run's partitions from its children when no worker can answer.
 */
import { isOutcome } from '../common/run-outcomes';
import { emptyStats, type PartitionOutcome, type PartitionStatus } from '../common/types';
import { countStatuses, sumStats, type PartitionState } from '../workflows/state';

export interface PartitionView extends PartitionState {
  /** Which run of the backfill this outcome is from: 1 for the first, +1 for each later one. */
  run?: number;
  /** That run's id in Temporal (the last execution of its continue-as-new chain). */
  runId?: string;
}

/** One execution of the parent workflow, as visibility lists it. */
export interface ParentExecution {
  runId: string;
  status: string;
  startTime: Date;
}

/** A run of the backfill: one start, with the executions it continued as new through. */
export interface BackfillRun {
  run: number;
  /** Every execution of the run, oldest first; the last one holds its result. */
  runIds: string[];
  status: string;
  startTime: Date;
}

/** Groups executions into runs: continued-as-new executions belong to the run that follows them. */
export function runsOf(executions: ParentExecution[]): BackfillRun[] {
  const sorted = [...executions].sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
  const runs: BackfillRun[] = [];
  let pending: ParentExecution[] = [];
  for (const execution of sorted) {
    pending.push(execution);
    if (execution.status === 'CONTINUED_AS_NEW') continue;
    runs.push({
      run: runs.length + 1,
      runIds: pending.map((e) => e.runId),
      status: execution.status,
      startTime: pending[0]!.startTime,
    });
    pending = [];
  }
  // A chain whose newest execution visibility has not listed yet: still that run.
  if (pending.length)
    runs.push({
      run: runs.length + 1,
      runIds: pending.map((e) => e.runId),
      status: 'RUNNING',
      startTime: pending[0]!.startTime,
    });
  return runs;
}

export interface RunOutcomes {
  run: BackfillRun;
  partitions: PartitionState[];
}

/** Each partition's latest outcome over the runs (oldest first), in the newest run's order. */
export function mergeRuns(runs: RunOutcomes[]): PartitionView[] {
  const merged = new Map<string, PartitionView>();
  for (const { run, partitions } of runs) {
    const runId = run.runIds[run.runIds.length - 1]!;
    for (const p of partitions) {
      const before = merged.get(p.key);
      if (before && !isOutcome(p)) continue;
      merged.set(p.key, { ...p, run: run.run, runId });
    }
  }
  const newest = runs[runs.length - 1]?.partitions ?? [];
  const order = new Map(newest.map((p, i) => [p.key, i]));
  return [...merged.values()].sort((a, b) => (order.get(a.key) ?? Infinity) - (order.get(b.key) ?? Infinity));
}

/** Counts and totals over merged partitions. */
export function tally(partitions: PartitionState[]) {
  return { total: partitions.length, counts: countStatuses(partitions), totals: sumStats(partitions) };
}

/** The partitions a child covered: its key, or every planned key from `first` to `last` of a batch. */
export function partitionsOfChild(childKey: string, planned: string[]): string[] {
  const [first, last] = childKey.split('..');
  if (last === undefined) return [childKey];
  const lo = first! <= last ? first! : last;
  const hi = first! <= last ? last : first!;
  return planned.filter((k) => k >= lo && k <= hi);
}

/** A child's partition status from Temporal's close status alone (no result fetched). */
export function statusOfChild(workflowStatus: string): PartitionStatus {
  switch (workflowStatus) {
    case 'RUNNING':
      return 'running';
    case 'COMPLETED':
      return 'succeeded';
    case 'CANCELLED':
      return 'cancelled';
    default:
      return 'failed'; // FAILED, TERMINATED, TIMED_OUT
  }
}

/** One child run as visibility lists it, with its outcomes when they were fetched. */
export interface ChildRun {
  childKey: string;
  status: string;
  startTime: Date;
  closeTime?: Date;
  outcomes?: Record<string, PartitionOutcome>;
  error?: string;
}

/**
 * A run's partitions rebuilt from its children (what the server keeps without a worker): each
 * planned partition takes its newest child run's outcome; one that no child covered is pending.
 */
export function partitionsFromChildren(planned: string[], children: ChildRun[]): PartitionState[] {
  const newest = new Map<string, ChildRun>();
  const starts = new Map<string, number>();
  for (const child of children) {
    const seen = newest.get(child.childKey);
    starts.set(child.childKey, (starts.get(child.childKey) ?? 0) + 1);
    if (!seen || child.startTime > seen.startTime) newest.set(child.childKey, child);
  }
  const byKey = new Map<string, PartitionState>();
  for (const child of newest.values()) {
    for (const key of partitionsOfChild(child.childKey, planned)) {
      const p: PartitionState = {
        key,
        status: statusOfChild(child.status),
        runs: starts.get(child.childKey) ?? 1,
        startedAt: child.startTime.getTime(),
        ...(child.closeTime ? { finishedAt: child.closeTime.getTime() } : {}),
      };
      const outcome = child.outcomes?.[key];
      if (outcome?.status === 'failed') {
        p.status = 'failed';
        p.lastError = outcome.error;
        p.stats = {
          ...emptyStats(),
          attempts: outcome.attempts,
          ...(outcome.checks ? { checks: outcome.checks } : {}),
        };
      } else if (outcome) {
        p.status = outcome.status;
        const { status: _status, ...stats } = outcome;
        p.stats = stats;
      } else if (child.error) {
        p.lastError = child.error;
      }
      byKey.set(key, p);
    }
  }
  const plannedSet = new Set(planned);
  const keys = [...planned, ...[...byKey.keys()].filter((k) => !plannedSet.has(k))];
  return keys.map((key) => byKey.get(key) ?? { key, status: 'pending', runs: 0 });
}
