/**
 * DuckLake maintenance after the last partition: the table's sort order (maintenance.clusterBy),
 * adjacent small files merged (sorted as they are rewritten), snapshots older than the retention
 * expired, the files only they held deleted, and orphaned files — written by a worker killed
 * before its commit — removed. Orphans younger than the grace may be another backfill's commit in
 * flight, so they are left for the next run.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { durationMs } from '../../../common/duration';
import type { BackfillSpec } from '../../../common/spec';
import type { MaintenanceReport } from '../../../common/types';
import { queryRows, run } from '../../duckdb';
import * as sql from '../../sql';
import * as lake from './sql';

export const DEFAULT_SNAPSHOT_RETENTION = '7d';
/** Orphaned files younger than this (or than the retention, if shorter) are kept. */
const ORPHAN_GRACE_SECONDS = 3600;

export async function maintainLake(
  conn: DuckDBConnection,
  alias: string,
  spec: BackfillSpec,
): Promise<Omit<MaintenanceReport, 'durationMs'>> {
  const table = spec.target.table;
  const bytes = async () =>
    Number((await queryRows<{ bytes: bigint }>(conn, lake.liveDataBytes(alias)))[0]?.bytes ?? 0);
  const bytesBefore = await bytes();
  if ((await queryRows(conn, sql.describeTable(alias, table))).length === 0) {
    return { steps: [], rowCount: 0, bytesBefore, bytesAfter: bytesBefore };
  }
  const steps: string[] = [];
  const count = async (statement: sql.Statement) =>
    Number((await queryRows<{ n: bigint }>(conn, statement))[0]?.n ?? 0);
  if (spec.maintenance.clusterBy.length) {
    await run(conn, lake.setSortedBy(alias, table, spec.maintenance.clusterBy));
    steps.push(`sorted by ${spec.maintenance.clusterBy.join(', ')}`);
  }
  await run(conn, lake.mergeAdjacentFiles(alias, table));
  steps.push('merge adjacent files');
  const retention = spec.maintenance.snapshotRetention ?? DEFAULT_SNAPSHOT_RETENTION;
  const retentionSeconds = durationMs(retention) / 1000;
  steps.push(
    `expire snapshots older than ${retention}: ${await count(lake.expireSnapshots(alias, retentionSeconds))}`,
  );
  steps.push(`cleanup old files: ${await count(lake.cleanupOldFiles(alias, retentionSeconds))}`);
  const grace = Math.min(ORPHAN_GRACE_SECONDS, retentionSeconds);
  steps.push(`delete orphaned files: ${await count(lake.deleteOrphanedFiles(alias, grace))}`);
  const rowCount = await count(sql.rowCount(alias, table));
  return { steps, rowCount, bytesBefore, bytesAfter: await bytes() };
}
