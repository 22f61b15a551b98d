/**
 * Counts as they were recorded. `rowsAccepted` was called `rowsMerged` until the name was made to
 * say what it counts (rows in the deduped batch offered to the target, even for overwrite):
 * recorded histories, running workflows' activity and child results, and closed runs' summaries
 * still carry the old name. Every place that decodes counts from history, results or queries passes
 * them through here, so the rest of the code knows one name. Pure and workflow-safe.
 */
import type { PartitionCounts, PartitionOutcome } from './types';

/** Fields recorded under names that have since changed. */
interface LegacyCounts {
  rowsMerged?: number;
}

/** One set of counts under today's names (`rowsMerged` → `rowsAccepted`); other fields untouched. */
export function normalizeCounts<T extends object>(
  counts: T,
): Omit<T, 'rowsMerged'> & Pick<PartitionCounts, 'rowsAccepted'> {
  const { rowsMerged, ...rest } = counts as T & LegacyCounts & { rowsAccepted?: number };
  return { ...rest, rowsAccepted: rest.rowsAccepted ?? rowsMerged ?? 0 };
}

/** A partition's outcome: a failed one carries no counts. */
export function normalizeOutcome(outcome: PartitionOutcome): PartitionOutcome {
  return outcome.status === 'failed' ? outcome : normalizeCounts(outcome);
}

/** Every outcome of a child's result (or of its failure's details). */
export function normalizeOutcomes(
  results: Record<string, PartitionOutcome>,
): Record<string, PartitionOutcome> {
  return Object.fromEntries(Object.entries(results).map(([key, o]) => [key, normalizeOutcome(o)]));
}

/** A progress report or run summary: its totals and each listed partition's stats. */
export function normalizeProgress<
  T extends { totals: object; partitions?: { stats?: object | undefined }[] | undefined },
>(progress: T): T {
  return {
    ...progress,
    totals: normalizeCounts(progress.totals),
    ...(progress.partitions
      ? {
          partitions: progress.partitions.map((p) =>
            p.stats ? { ...p, stats: normalizeCounts(p.stats) } : p,
          ),
        }
      : {}),
  };
}
