/** Builds the real load activity (real DuckDB files, local source) for activity-level suites. */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import type { ActivityDeps } from '../../activities/deps';
import { DuckDbPool, queryRows, type DuckDbSettings } from '../../activities/duckdb';
import { createSources, type Source } from '../../activities/sources';
import { DuckDbFileTarget, type Target } from '../../activities/target';
import type { BackfillSpec } from '../../common/spec';
import type { LoadPartitionResult, MaintenanceReport } from '../../common/types';
import { logger } from '../helpers';

export interface Loader {
  activities: ReturnType<typeof createActivities>;
  load(spec: BackfillSpec, partitionKey: string, backfillId?: string): Promise<LoadPartitionResult>;
  maintain(spec: BackfillSpec): Promise<MaintenanceReport>;
  query<T = Record<string, unknown>>(file: string, sql: string): Promise<T[]>;
  /** Whether the DuckDB file holds the table (a failed first load must not have created it). */
  hasTable(file: string, table: string): Promise<boolean>;
  close(): Promise<void>;
}

export function createLoader(
  settings: DuckDbSettings = { memoryLimit: '1GB', threads: 1 },
  s3?: Source,
  extra: Pick<ActivityDeps, 'workDir' | 'downloadConcurrency' | 'stagingDir'> & {
    /** Instruments the real target (e.g. to skew what it is told), never replaces it. */
    wrapTarget?: (target: Target) => Target;
  } = {},
): Loader {
  const pool = new DuckDbPool(settings);
  const activities = createActivities({
    logger,
    sources: createSources(s3 ? { s3 } : {}),
    target: extra.wrapTarget ? extra.wrapTarget(new DuckDbFileTarget(pool)) : new DuckDbFileTarget(pool),
    ...(extra.workDir ? { workDir: extra.workDir } : {}),
    ...(extra.downloadConcurrency ? { downloadConcurrency: extra.downloadConcurrency } : {}),
    // Mock activities share one run and activity id: a private staging dir keeps parallel suites apart.
    ...(extra.stagingDir ? { stagingDir: extra.stagingDir } : {}),
  });
  return {
    activities,
    load: (spec, partitionKey, backfillId = spec.name) =>
      new MockActivityEnvironment({ attempt: 1 }).run(activities.loadPartition, {
        spec,
        partitionKey,
        backfillId,
      }),
    maintain: (spec) =>
      new MockActivityEnvironment().run<
        [{ spec: BackfillSpec }],
        MaintenanceReport,
        typeof activities.maintainTarget
      >(activities.maintainTarget, { spec }),
    async query<T>(file: string, sql: string) {
      const conn = await pool.connect(file);
      try {
        const reader = await conn.runAndReadAll(sql);
        return reader.getRowObjectsJson() as T[];
      } finally {
        conn.closeSync();
      }
    },
    async hasTable(file: string, table: string) {
      const conn = await pool.connect(file);
      try {
        const reader = await conn.runAndReadAll(
          'SELECT count(*)::INTEGER AS n FROM duckdb_tables() WHERE table_name = $table',
          { table },
        );
        return (reader.getRowObjectsJson()[0]?.n ?? 0) !== 0;
      } finally {
        conn.closeSync();
      }
    },
    close: () => pool.close(),
  };
}

export { queryRows };
