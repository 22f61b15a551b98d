/**
 * Which of a batched child's partitions one activity can settle without a loadPartition activity
 * each: empty ones (no files) and small ones (at most a byte limit). Tiny partitions load in a few
 * milliseconds, so an activity round trip and a workflow task per partition would cost more than
 * the load; larger ones keep their own activity (heartbeat resume, timeout, retry policy). Pure.
 */

/** Partitions of at most this many source bytes load inside the batch's one activity. */
export const SMALL_PARTITION_BYTES = 2 ** 20;

export type ListingKind = 'empty' | 'small' | 'own-activity';

/**
 * An empty partition is settled at once unless the spec requires files (then its own load fails
 * it with NoFilesError); a partition of at most `maxBytes` is small; the rest load on their own.
 */
export function classifyListing(
  files: readonly { size: number }[],
  maxBytes: number,
  requireFiles: boolean,
): ListingKind {
  if (files.length === 0) return requireFiles ? 'own-activity' : 'empty';
  return files.reduce((sum, f) => sum + f.size, 0) <= maxBytes ? 'small' : 'own-activity';
}
