/**
 * DuckLake maintenance after the last partition: the table's sort order (maintenance.clusterBy),
 * adjacent small files merged (sorted as they are rewritten), snapshots older than the retention
 * expired, the files only they held deleted, and orphaned files — written by a worker killed
 * before its commit — removed. Orphans younger than the grace may be another backfill's commit in
 * flight, so they are left for the next run.
 */
import { durationMs } from '../../../common/duration';
import type * as sql from '../../sql';
import { countedStep, runMaintenance, statementsStep, type Maintain } from '../maintenance';
import * as lake from './sql';

export const DEFAULT_SNAPSHOT_RETENTION = '7d';
/** Orphaned files younger than this (or than the retention, if shorter) are kept. */
const ORPHAN_GRACE_SECONDS = 3600;

export const maintainLake: Maintain = (conn, alias, spec) => {
  const table = spec.target.table;
  const { clusterBy } = spec.maintenance;
  const retention = spec.maintenance.snapshotRetention ?? DEFAULT_SNAPSHOT_RETENTION;
  const retentionSeconds = durationMs(retention) / 1000;
  const grace = Math.min(ORPHAN_GRACE_SECONDS, retentionSeconds);
  const counted = (line: string, statement: sql.Statement) => countedStep(conn, line, statement);
  return runMaintenance(conn, { catalog: alias, table, size: lake.liveDataBytes(alias) }, [
    ...(clusterBy.length
      ? [statementsStep(conn, `sorted by ${clusterBy.join(', ')}`, lake.setSortedBy(alias, table, clusterBy))]
      : []),
    statementsStep(conn, 'merge adjacent files', lake.mergeAdjacentFiles(alias, table)),
    counted(`expire snapshots older than ${retention}`, lake.expireSnapshots(alias, retentionSeconds)),
    counted('cleanup old files', lake.cleanupOldFiles(alias, retentionSeconds)),
    counted('delete orphaned files', lake.deleteOrphanedFiles(alias, grace)),
  ]);
};
