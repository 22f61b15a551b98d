/** Builds the real load activity (real DuckDB files, local source) for activity-level suites. */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { DuckDbPool, queryRows } from '../../activities/duckdb';
import { createSources } from '../../activities/sources';
import { DuckDbFileTarget } from '../../activities/target';
import type { BackfillSpec } from '../../common/spec';
import type { LoadPartitionResult } from '../../common/types';
import { logger } from '../helpers';

export interface Loader {
  load(spec: BackfillSpec, partitionKey: string, backfillId?: string): Promise<LoadPartitionResult>;
  query<T = Record<string, unknown>>(file: string, sql: string): Promise<T[]>;
  close(): Promise<void>;
}

export function createLoader(): Loader {
  const pool = new DuckDbPool({ memoryLimit: '1GB', threads: 1 });
  const activities = createActivities({
    logger,
    sources: createSources(),
    target: new DuckDbFileTarget(pool),
  });
  return {
    load: (spec, partitionKey, backfillId = spec.name) =>
      new MockActivityEnvironment({ attempt: 1 }).run(activities.loadPartition, {
        spec,
        partitionKey,
        backfillId,
      }),
    async query<T>(file: string, sql: string) {
      const conn = await pool.connect(file);
      try {
        const reader = await conn.runAndReadAll(sql);
        return reader.getRowObjectsJson() as T[];
      } finally {
        conn.closeSync();
      }
    },
    close: () => pool.close(),
  };
}

export { queryRows };
