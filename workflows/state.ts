/**
 * The parent's bookkeeping: one entry per partition, compact enough to carry through
 * continue-as-new. Pure and deterministic.
 */
import type {
  MaintenanceReport,
  PartitionCounts,
  PartitionStats,
  PartitionStatus,
  ShardStats,
} from '../common/types';
import { TERMINAL_STATUSES, emptyStats } from '../common/types';
import type { CheckSpec } from '../common/spec';
import {
  CARRIED_PARTITIONS,
  DETAILED_PARTITIONS,
  decodeChecks,
  encodeChecks,
  type CarriedCheck,
} from './check-codes';
import { decodeStats, encodeStats, statusOfCode, STATUS_CODES } from './state-codes';

export interface PartitionState {
  key: string;
  status: PartitionStatus;
  stats?: PartitionStats;
  /** Child runs started for this partition by this backfill (retries included). */
  runs: number;
  lastError?: string;
  /** The next start runs even if a closed run exists, whatever the reprocess mode (an explicit retry). */
  runAgain?: boolean;
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
  /** Page through large backfills (default offset 0, limit 5,000). */
  offset?: number;
  limit?: number;
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
  /** How many partitions matched the request, when the list was cut by limit. */
  matched?: number;
}

export type MaintenanceOutcome = MaintenanceReport | { skipped: string } | { failed: string };

export type BackfillSummary = Omit<BackfillProgress, 'state'> & {
  state: 'finished';
  finishedAt: number;
  maintenance: MaintenanceOutcome;
};

export function countStatuses(partitions: { status: PartitionStatus }[]): StatusCounts {
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
    for (const field of Object.keys(total) as (keyof PartitionCounts)[]) total[field] += p.stats[field];
  }
  return total;
}

/** A first run's state: every planned partition pending; `runAgain` ones run even if a closed run exists. */
export function initialState(
  planned: string[],
  maxConcurrency: number,
  runAgain: string[],
  startedAt: number,
): BackfillState {
  const again = new Set(runAgain);
  return {
    partitions: planned.map((key) => ({
      key,
      status: 'pending',
      runs: 0,
      ...(again.has(key) ? { runAgain: true } : {}),
    })),
    maxConcurrency,
    paused: false,
    generation: 0,
    startedAt,
  };
}

/** Progress of a backfill: counts and totals, and the page of partitions the request asks for. */
export function progressOf(
  state: BackfillState,
  head: { backfillId: string; phase: BackfillProgress['state'] },
  { partitions = true, statuses, offset = 0, limit = 5000 }: ProgressRequest,
): BackfillProgress {
  const base: BackfillProgress = {
    backfillId: head.backfillId,
    state: head.phase,
    maxConcurrency: state.maxConcurrency,
    generation: state.generation,
    startedAt: state.startedAt,
    total: state.partitions.length,
    counts: countStatuses(state.partitions),
    totals: sumStats(state.partitions),
  };
  if (!partitions) return base;
  const matching = statuses ? state.partitions.filter((p) => statuses.includes(p.status)) : state.partitions;
  const page = matching.slice(offset, offset + limit);
  return {
    ...base,
    partitions: page,
    ...(page.length < matching.length ? { matched: matching.length } : {}),
  };
}

export const isTerminal = (status: PartitionStatus) => TERMINAL_STATUSES.includes(status);

/**
 * The state carried through continue-as-new, compact so 100,000 partitions fit in one payload: keys
 * only when they are not the planned range, one status letter per partition, and stats, runs and
 * errors only where they say something.
 */
export interface CarriedState {
  keys?: string[];
  statuses: string;
  runs: Record<number, number>;
  stats: Record<number, number[]>;
  errors: Record<number, string>;
  /** Sharded partitions' shard stats (absent in states carried before shards). */
  shards?: Record<number, ShardStats>;
  /** Partitions to run again (`PartitionState.runAgain`); the key keeps its recorded name. */
  force: number[];
  /**
   * Check outcomes that fired, by partition (check-codes.ts); present when the spec declares
   * checks (patch carry-check-outcomes), and then a succeeded partition without an entry passed all.
   */
  checks?: Record<number, CarriedCheck[]>;
  /** The partition index from which no check outcomes are carried (CARRIED_PARTITIONS were reached). */
  checksCut?: number;
  maxConcurrency: number;
  paused: boolean;
  generation: number;
  startedAt: number;
}

/** With `checks` (the spec's, when the run carries them), the partitions' check outcomes are kept too. */
export function encodeState(
  state: BackfillState,
  plannedKeys: string[] | undefined,
  checks?: readonly CheckSpec[],
): CarriedState {
  const carried: CarriedState = {
    statuses: '',
    runs: {},
    stats: {},
    errors: {},
    force: [],
    maxConcurrency: state.maxConcurrency,
    paused: state.paused,
    generation: state.generation,
    startedAt: state.startedAt,
  };
  const sameKeys =
    plannedKeys !== undefined &&
    plannedKeys.length === state.partitions.length &&
    plannedKeys.every((k, i) => state.partitions[i]!.key === k);
  if (!sameKeys) carried.keys = state.partitions.map((p) => p.key);
  const carriedChecks: Record<number, CarriedCheck[]> | undefined = checks?.length ? {} : undefined;
  let detailed = 0;
  const codes: string[] = [];
  state.partitions.forEach((p, i) => {
    codes.push(STATUS_CODES[p.status]);
    if (p.runs !== (p.status === 'pending' ? 0 : 1)) carried.runs[i] = p.runs;
    if (p.stats && (p.stats.files > 0 || p.status === 'failed')) carried.stats[i] = encodeStats(p.stats);
    if (p.stats?.shards) (carried.shards ??= {})[i] = p.stats.shards;
    if (p.lastError) carried.errors[i] = p.lastError.slice(0, 2000);
    if (p.runAgain) carried.force.push(i);
    const outcomes = p.stats?.checks;
    if (
      carriedChecks &&
      outcomes &&
      carried.checksCut === undefined &&
      (p.status === 'succeeded' || p.status === 'failed')
    ) {
      const fired = encodeChecks(outcomes, checks!, detailed < DETAILED_PARTITIONS);
      if (fired.length && detailed >= CARRIED_PARTITIONS) carried.checksCut = i;
      else if (fired.length) {
        carriedChecks[i] = fired;
        detailed += 1;
      }
    }
  });
  carried.statuses = codes.join('');
  if (carriedChecks) carried.checks = carriedChecks;
  return carried;
}

export function decodeState(
  carried: CarriedState,
  plannedKeys: string[],
  checks: readonly CheckSpec[] = [],
): BackfillState {
  const keys = carried.keys ?? plannedKeys;
  const runAgain = new Set(carried.force);
  return {
    partitions: keys.map((key, i) => {
      const status = statusOfCode(carried.statuses[i]);
      const p: PartitionState = { key, status, runs: carried.runs[i] ?? (status === 'pending' ? 0 : 1) };
      const stats = carried.stats[i];
      if (stats) p.stats = decodeStats(stats);
      const known = carried.checks && (carried.checksCut === undefined || i < carried.checksCut);
      const outcomes = known && decodeChecks(carried.checks![i], checks, p);
      if (outcomes) p.stats = { ...(p.stats ?? decodeStats([])), checks: outcomes };
      const shards = carried.shards?.[i];
      if (shards && p.stats) p.stats.shards = shards;
      const error = carried.errors[i];
      if (error) p.lastError = error;
      if (runAgain.has(i)) p.runAgain = true;
      return p;
    }),
    maxConcurrency: carried.maxConcurrency,
    paused: carried.paused,
    generation: carried.generation,
    startedAt: carried.startedAt,
  };
}
