/**
 * The compact codes of the parent's carried payloads (continue-as-new state, earlier runs'
 * outcomes): one letter per status, stats as positional arrays. Positions and letters are the wire
 * format: recorded payloads decode with them, so they only ever grow.
 */
import type { PartitionCounts, PartitionStats, PartitionStatus } from '../common/types';

export const STATUS_CODES: Record<PartitionStatus, string> = {
  pending: 'p',
  running: 'r',
  succeeded: 's',
  empty: 'e',
  failed: 'f',
  cancelled: 'c',
  skipped: 'k',
};

const CODE_STATUSES = Object.fromEntries(Object.entries(STATUS_CODES).map(([k, v]) => [v, k])) as Record<
  string,
  PartitionStatus
>;

/** A status letter back to its status ('p', pending, for none or an unknown letter). */
export const statusOfCode = (code: string | undefined): PartitionStatus =>
  CODE_STATUSES[code ?? 'p'] ?? 'pending';

/**
 * The order of a stats array. Positions, not names: a state carried before `rowsMerged` became
 * `rowsAccepted` decodes unchanged. Append new fields only.
 */
const STAT_FIELDS: (keyof PartitionCounts)[] = [
  'files',
  'filesReused',
  'bytes',
  'rowsRead',
  'rowsAccepted',
  'duplicatesRemoved',
  'rowsRejected',
  'rowsWritten',
  'attempts',
  'durationMs',
];

export const encodeStats = (stats: PartitionCounts): number[] => STAT_FIELDS.map((f) => stats[f]);

export const decodeStats = (values: number[]): PartitionStats =>
  Object.fromEntries(STAT_FIELDS.map((f, j) => [f, values[j] ?? 0])) as unknown as PartitionStats;
