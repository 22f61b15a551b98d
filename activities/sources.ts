/**
 * Sources: where a partition's raw files are. A source lists the files of one partition and makes
 * each readable as a local path for DuckDB (S3 objects are downloaded into the attempt's work dir).
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { BackfillSpec } from '../common/spec';
import { renderLayout } from '../common/partitions';
import { BackfillError } from '../common/failures';

export interface SourceFile {
  /** Stable name shown in lineage, rejects and errors: the path relative to the source uri. */
  name: string;
  /** Local path DuckDB reads. */
  localPath: string;
  size: number;
  etag?: string;
}

export type FileFormat = 'ndjson' | 'json' | 'csv' | 'parquet';

const COMPRESSION = /\.(gz|zst)$/i;

/** Format from the spec, or from the file extension (compression suffix ignored) when `auto`. */
export function formatOf(spec: BackfillSpec, fileName: string): FileFormat | undefined {
  if (spec.source.format !== 'auto') return spec.source.format;
  const ext = path.extname(fileName.replace(COMPRESSION, '')).toLowerCase();
  if (ext === '.ndjson' || ext === '.jsonl') return 'ndjson';
  if (ext === '.json') return 'ndjson';
  if (ext === '.csv' || ext === '.tsv') return 'csv';
  if (ext === '.parquet') return 'parquet';
  return undefined;
}

/** Hidden and marker files (".x", "_SUCCESS") are never data, as in Spark and Hive layouts. */
const isDataFile = (name: string) => !name.startsWith('.') && !name.startsWith('_');

export function partitionPrefix(spec: BackfillSpec, partitionKey: string): string {
  return renderLayout(spec.source.layout, partitionKey, spec.range.granularity);
}

/** Lists a local partition directory recursively, sorted by name; a missing directory has no files. */
export async function listLocalFiles(spec: BackfillSpec, partitionKey: string): Promise<SourceFile[]> {
  const root = path.resolve(spec.source.uri);
  const dir = path.resolve(root, partitionPrefix(spec, partitionKey));
  if (dir !== root && !dir.startsWith(root + path.sep))
    throw new Error(`partition path escapes the source: ${dir}`);
  let entries: string[];
  try {
    entries = await readdir(dir, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const files: SourceFile[] = [];
  for (const entry of entries.sort()) {
    if (!entry.split(path.sep).every(isDataFile)) continue;
    const localPath = path.join(dir, entry);
    const info = await stat(localPath);
    if (!info.isFile()) continue;
    files.push({ name: path.relative(root, localPath), localPath, size: info.size });
  }
  return files;
}

/** Source dispatch by uri scheme: local paths now; s3:// goes through the AWS SDK. */
export function createSources(): { list(spec: BackfillSpec, partitionKey: string): Promise<SourceFile[]> } {
  return {
    list(spec, partitionKey) {
      if (spec.source.uri.startsWith('s3://')) {
        throw new BackfillError('ConfigurationError', 's3:// sources are not supported by this worker yet');
      }
      return listLocalFiles(spec, partitionKey);
    },
  };
}
