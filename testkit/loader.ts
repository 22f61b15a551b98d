/** Builds the real load activity (real staging engine and DuckDB files, local source) for activity suites and benchmarks. */
import type { DuckDBConnection } from '@duckdb/node-api';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../activities';
import type { ActivityDeps } from '../activities/deps';
import type { BackfillSpec } from '../common/spec';
import type {
  LoadBatchInput,
  LoadBatchResult,
  LoadPartitionResult,
  MaintenanceReport,
} from '../common/types';
import {
  createDestinations,
  DuckDbFileCatalogs,
  type Destination,
  type Destinations,
} from '../loading/destinations';
import type { LakeOptions } from '../loading/destinations/ducklake/destination';
import { queryRows } from '../loading/duckdb';
import { sourceByScheme, type Source } from '../loading/sources';
import { StagingEngine, type DuckDbSettings } from '../loading/staging/engine';
import { tempDir } from './fixtures';
import { logger } from './logger';

export interface Loader {
  activities: ReturnType<typeof createActivities>;
  /** The destinations the activities commit to (the same instances). */
  destinations: Destinations;
  load(spec: BackfillSpec, partitionKey: string, backfillId?: string): Promise<LoadPartitionResult>;
  /** The partitions loaded as one batch commit (the loadBatch activity). */
  loadBatch(
    spec: BackfillSpec,
    partitionKeys: string[],
    env?: MockActivityEnvironment,
  ): Promise<Record<string, LoadPartitionResult>>;
  maintain(spec: BackfillSpec): Promise<MaintenanceReport>;
  /** Runs SQL against a target file, through the staging engine that has it attached. */
  query<T = Record<string, unknown>>(file: string, sql: string): Promise<T[]>;
  /** Runs `fn` on a connection of the staging engine that has the target file attached as `catalog`. */
  withCatalog<T>(file: string, fn: (conn: DuckDBConnection, catalog: string) => Promise<T>): Promise<T>;
  /** Whether the DuckDB file holds the table (a failed first load must not have created it). */
  hasTable(file: string, table: string): Promise<boolean>;
  close(): Promise<void>;
}

export function createLoader(
  settings: DuckDbSettings = { memoryLimit: '1GB', threads: 1 },
  s3?: Source,
  extra: Pick<
    ActivityDeps,
    'workDir' | 'downloadConcurrency' | 'stagingDir' | 'resumeMinBytes' | 'readPath' | 'metrics' | 'faults'
  > & {
    /** Instruments the real destination (e.g. to skew what it is told), never replaces it. */
    wrapDestination?: (destination: Destination) => Destination;
    /** DuckLake destinations: the worker environment (credentials) and policies. */
    lake?: LakeOptions;
  } = {},
): Loader {
  const staging = new StagingEngine(settings);
  // A file may be attached once per instance: the loader reads the targets through the same catalogs.
  const duckDbFiles = new DuckDbFileCatalogs(staging);
  const destinations = createDestinations(staging, {
    duckDbFiles,
    ...(extra.wrapDestination ? { wrap: extra.wrapDestination } : {}),
    ...(extra.lake ? { lake: extra.lake } : {}),
  });
  const activities = createActivities({
    logger,
    source: sourceByScheme(s3 ? { s3 } : {}),
    staging,
    destinations,
    // Every mock activity has the same run and activity id: a shared default folder would let
    // suites running at once (other checkouts on this machine) delete each other's staged files.
    stagingDir: extra.stagingDir ?? tempDir('backfill-staging-'),
    ...(extra.workDir ? { workDir: extra.workDir } : {}),
    ...(extra.downloadConcurrency ? { downloadConcurrency: extra.downloadConcurrency } : {}),
    ...(extra.resumeMinBytes !== undefined ? { resumeMinBytes: extra.resumeMinBytes } : {}),
    ...(extra.readPath ? { readPath: extra.readPath } : {}),
    ...(extra.metrics ? { metrics: extra.metrics } : {}),
    ...(extra.faults ? { faults: extra.faults } : {}),
  });
  const onTarget = async <T>(file: string, sql: string, params?: Record<string, string>) => {
    const catalog = await duckDbFiles.attach(file);
    const conn = await staging.connect();
    try {
      await conn.run(`USE "${catalog}"`);
      const reader = params ? await conn.runAndReadAll(sql, params) : await conn.runAndReadAll(sql);
      return reader.getRowObjectsJson() as T[];
    } finally {
      conn.closeSync();
    }
  };
  return {
    activities,
    destinations,
    load: (spec, partitionKey, backfillId = spec.name) =>
      new MockActivityEnvironment({ attempt: 1 }).run(activities.loadPartition, {
        spec,
        partitionKey,
        backfillId,
      }),
    loadBatch: async (spec, partitionKeys, env = new MockActivityEnvironment({ attempt: 1 })) =>
      (
        await env.run<[LoadBatchInput], LoadBatchResult, typeof activities.loadBatch>(activities.loadBatch, {
          spec,
          partitionKeys,
          backfillId: spec.name,
        })
      ).results,
    maintain: (spec) =>
      new MockActivityEnvironment().run<
        [{ spec: BackfillSpec }],
        MaintenanceReport,
        typeof activities.maintainTarget
      >(activities.maintainTarget, { spec }),
    query: (file, sql) => onTarget(file, sql),
    async withCatalog(file, fn) {
      const catalog = await duckDbFiles.attach(file);
      const conn = await staging.connect();
      try {
        return await fn(conn, catalog);
      } finally {
        conn.closeSync();
      }
    },
    async hasTable(file, table) {
      const [row] = await onTarget<{ n: number }>(
        file,
        'SELECT count(*)::INTEGER AS n FROM duckdb_tables() WHERE table_name = $table AND database_name = current_database()',
        { table },
      );
      return (row?.n ?? 0) !== 0;
    },
    close: async () => {
      await destinations.close();
      await staging.close();
    },
  };
}

export { queryRows };
