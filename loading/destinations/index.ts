/** Destinations by `spec.target.type`, opened once per target and kept for the worker's life. */
import path from 'node:path';
import type { BackfillSpec } from '../../common/spec';
import { KeyedMutex } from '../keyed-mutex';
import type { StagingEngine } from '../staging/engine';
import type { Destination, Destinations } from './destination';
import { DuckDbFileCatalogs } from './duckdb-file/catalogs';
import { DuckDbFileDestination } from './duckdb-file/destination';
import { DuckLakeDestination, type LakeOptions } from './ducklake/destination';
import { lakeIdentity } from './ducklake/location';

export type {
  BatchCommitRequest,
  BatchCommitResult,
  CommitRequest,
  CommitResult,
  Destination,
  Destinations,
  PartitionCommit,
  TargetColumn,
} from './destination';
export { DuckDbFileCatalogs } from './duckdb-file/catalogs';

/** Which target a spec writes: specs naming the same one share its destination (and its commit turn). */
export function targetIdentity(spec: BackfillSpec): string {
  const target = spec.target;
  return target.type === 'ducklake' ? lakeIdentity(target) : `${target.type}:${path.resolve(target.path)}`;
}

export function createDestinations(
  engine: StagingEngine,
  options: {
    /** The attached DuckDB files; pass one to read them in the same process (tests). */
    duckDbFiles?: DuckDbFileCatalogs;
    /** Instruments each destination (tests); never replaces it. */
    wrap?: (destination: Destination) => Destination;
    /** DuckLake: environment, connect window, conflict policy, conflict counter. */
    lake?: LakeOptions;
  } = {},
): Destinations {
  const duckDbFiles = options.duckDbFiles ?? new DuckDbFileCatalogs(engine);
  const commits = new KeyedMutex();
  const opened = new Map<string, Promise<Destination>>();
  const openNew = async (spec: BackfillSpec): Promise<Destination> => {
    let destination: Destination;
    switch (spec.target.type) {
      case 'duckdb':
        destination = await DuckDbFileDestination.open(engine, duckDbFiles, commits, spec);
        break;
      case 'ducklake':
        destination = await DuckLakeDestination.open(engine, commits, spec, options.lake);
        break;
    }
    return options.wrap ? options.wrap(destination) : destination;
  };
  return {
    open(spec) {
      const key = targetIdentity(spec);
      let pending = opened.get(key);
      if (!pending) {
        pending = openNew(spec);
        pending.catch(() => opened.delete(key));
        opened.set(key, pending);
      }
      return pending;
    },
    async close() {
      const all = [...opened.values()];
      opened.clear();
      for (const pending of all) await (await pending.catch(() => undefined))?.close();
      await duckDbFiles.close();
    },
  };
}
