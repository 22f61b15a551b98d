/**
 * Sources: where a partition's raw files are. `list` returns what a partition holds; `materialize`
 * makes one file readable by DuckDB at a local path (S3 objects are downloaded into the attempt's
 * work dir, which the activity always removes).
 */
import type { BackfillSpec } from '../../common/spec';
import type { SourceFile } from './files';
import { listLocalFiles } from './local';

export * from './files';

export interface Source {
  list(spec: BackfillSpec, partitionKey: string): Promise<SourceFile[]>;
  /** A local path DuckDB can read; downloads go into workDir and stop when the signal aborts. */
  materialize(spec: BackfillSpec, file: SourceFile, workDir: string, signal?: AbortSignal): Promise<string>;
}

export const localSource: Source = {
  list: listLocalFiles,
  materialize: (_spec, file) => Promise.resolve(file.uri),
};

/** Picks the source by the uri's scheme. */
export function sourceByScheme(options: { s3?: Source } = {}): Source {
  const pick = (spec: BackfillSpec): Source => {
    if (!spec.source.uri.startsWith('s3://')) return localSource;
    if (!options.s3) throw new Error('s3:// sources need an S3 client in the worker');
    return options.s3;
  };
  return {
    list: (spec, key) => pick(spec).list(spec, key),
    materialize: (spec, file, workDir, signal) => pick(spec).materialize(spec, file, workDir, signal),
  };
}
