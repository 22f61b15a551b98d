/**
 * The reconciliation gate of one partition: every record read is accounted for as accepted (in the
 * deduped batch offered to the target), removed as a duplicate of its key, or rejected. A gap means
 * rows would be lost or invented, so the partition fails before (or, for inserts, instead of) being
 * reported done.
 */
import { BackfillError } from '../common/failures';

export interface StagedCounts {
  rowsRead: number;
  rowsRejected: number;
  /** Rows in the deduped batch, about to be offered to the target. */
  rowsAccepted: number;
  /** Whether the batch is deduped on keys; without keys no row may disappear. */
  keyed: boolean;
}

/** Returns the duplicates removed; throws when the counts cannot add up. */
export function reconcileBatch(partitionKey: string, counts: StagedCounts): number {
  const duplicatesRemoved = counts.rowsRead - counts.rowsRejected - counts.rowsAccepted;
  if (duplicatesRemoved < 0 || (!counts.keyed && duplicatesRemoved !== 0)) {
    throw new BackfillError(
      'ReconciliationError',
      `partition ${partitionKey}: rows read ${counts.rowsRead} != rows accepted ${counts.rowsAccepted} + duplicates ${duplicatesRemoved} + rejected ${counts.rowsRejected}`,
    );
  }
  return duplicatesRemoved;
}

/** After an insert-only write (overwrite), the target must hold exactly the batch. */
export function reconcileWrite(partitionKey: string, rowsAccepted: number, rowsWritten: number): void {
  if (rowsWritten !== rowsAccepted) {
    throw new BackfillError(
      'ReconciliationError',
      `partition ${partitionKey}: inserted ${rowsWritten} of ${rowsAccepted} rows`,
    );
  }
}
