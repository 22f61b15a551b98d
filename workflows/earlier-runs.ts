/**
 * What earlier runs of a backfill did, handed to a new run of the same id (a `retry` after it
 * closed, another `start`) so the parent's UI details show each partition's latest outcome across
 * all runs and totals over them, as `backfill status` does. The client builds it from the merged
 * status it already reads; the parent carries it through continue-as-new unchanged, so it is kept
 * compact: one status letter per planned partition, exact totals, and per-partition stats and
 * errors only up to a cap (the partitions this run is asked to load again first). Pure, deterministic.
 */
import { isOutcome } from '../common/run-outcomes';
import { emptyStats, type PartitionCounts, type PartitionStats, type PartitionStatus } from '../common/types';
import { decodeStats, encodeStats, STATUS_CODES, statusOfCode } from './state-codes';
import { countStatuses, type PartitionState, type StatusCounts } from './state';

/** Partitions whose earlier stats travel with the run: ~60 bytes each, so at most ~120 kB. */
export const EARLIER_STATS_LIMIT = 2000;
/** Earlier failures named in the details (the details list 10). */
export const EARLIER_ERRORS_LIMIT = 20;

export interface EarlierOutcomes {
  /** Earlier runs merged into this summary. */
  runs: number;
  /** One letter per planned partition (in the run's planned order): its latest earlier outcome, 'p' for none. */
  statuses: string;
  /** Totals over those outcomes (positional, as in the carried state). */
  totals: number[];
  /** Stats by planned index, for at most EARLIER_STATS_LIMIT partitions. */
  stats: Record<number, number[]>;
  /** Errors of earlier failures by planned index, at most EARLIER_ERRORS_LIMIT, cut to 300 characters. */
  errors: Record<number, string>;
  /** Set when the cap left some partitions' stats out. */
  capped?: true;
}

/**
 * The summary of earlier runs' merged partitions for a run planning `planned`: stats go first to
 * the partitions in `first` (the ones the new run is asked to load again), then failed and
 * cancelled ones, then the rest in plan order, up to the cap.
 */
export function encodeEarlier(
  merged: PartitionState[],
  planned: string[],
  runs: number,
  first: string[] = [],
): EarlierOutcomes {
  const byKey = new Map(merged.filter(isOutcome).map((p) => [p.key, p]));
  const totals = emptyStats();
  const codes = planned.map((key) => {
    const p = byKey.get(key);
    if (p?.stats)
      for (const f of Object.keys(totals) as (keyof PartitionCounts)[]) totals[f] += p.stats[f] ?? 0;
    return p ? STATUS_CODES[p.status] : 'p';
  });
  const priority = new Set(first);
  const rank = (p: PartitionState) =>
    priority.has(p.key) ? 0 : p.status === 'failed' || p.status === 'cancelled' ? 1 : 2;
  const indexed = planned
    .map((key, i) => ({ i, p: byKey.get(key) }))
    .filter((e): e is { i: number; p: PartitionState } => e.p !== undefined);
  const stats: Record<number, number[]> = {};
  const withStats = indexed.filter((e) => e.p.stats);
  for (const { i, p } of [...withStats]
    .sort((a, b) => rank(a.p) - rank(b.p) || a.i - b.i)
    .slice(0, EARLIER_STATS_LIMIT))
    if (p.stats) stats[i] = encodeStats(p.stats);
  const errors: Record<number, string> = {};
  for (const { i, p } of indexed
    .filter((e) => e.p.status === 'failed' && e.p.lastError)
    .slice(0, EARLIER_ERRORS_LIMIT))
    errors[i] = p.lastError!.slice(0, 300);
  return {
    runs,
    statuses: codes.join(''),
    totals: encodeStats(totals),
    stats,
    errors,
    ...(withStats.length > EARLIER_STATS_LIMIT ? { capped: true as const } : {}),
  };
}

/** The details' view over all runs: each partition's latest outcome, counted and summed. */
export interface OverRuns {
  /** Runs in all, this one included. */
  runs: number;
  counts: StatusCounts;
  totals: PartitionStats;
  /** Partitions whose latest outcome failed (this run's first, then earlier ones with their error). */
  failed: PartitionState[];
  /** Some earlier stats were beyond the cap: the totals are an estimate. */
  approximate: boolean;
}

/**
 * Merges this run's partitions over the earlier outcomes: a partition this run has an outcome for
 * shows it; one it skipped, has not reached, or cancelled before starting shows the earlier one.
 * Totals are the earlier totals, minus the earlier stats of partitions this run superseded, plus
 * this run's stats where it shows.
 */
export function overRuns(
  partitions: PartitionState[],
  planned: string[],
  earlier: EarlierOutcomes,
): OverRuns {
  const index = new Map(planned.map((key, i) => [key, i]));
  const totals = decodeStats(earlier.totals);
  const add = (stats: PartitionCounts | undefined, sign: 1 | -1) => {
    if (!stats) return;
    for (const f of Object.keys(totals) as (keyof PartitionCounts)[]) totals[f] += sign * (stats[f] ?? 0);
  };
  const shown: { status: PartitionStatus }[] = [];
  const failed: PartitionState[] = [];
  const earlierFailed: PartitionState[] = [];
  let approximate = false;
  for (const p of partitions) {
    const i = index.get(p.key);
    const before = i === undefined ? 'pending' : statusOfCode(earlier.statuses[i]);
    const hadOutcome = before !== 'pending';
    if (isOutcome(p) || !hadOutcome) {
      if (hadOutcome) {
        const stats = earlier.stats[i!];
        if (stats) add(decodeStats(stats), -1);
        else if (earlier.capped) approximate = true;
      }
      add(p.stats, 1);
      shown.push(p);
      if (p.status === 'failed') failed.push(p);
    } else {
      shown.push({ status: before });
      if (before === 'failed')
        earlierFailed.push({
          key: p.key,
          status: 'failed',
          runs: 1,
          lastError: earlier.errors[i!] ?? 'failed in an earlier run',
        });
    }
  }
  return {
    runs: earlier.runs + 1,
    counts: countStatuses(shown),
    totals,
    failed: [...failed, ...earlierFailed],
    approximate,
  };
}
