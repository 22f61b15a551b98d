/** What a source file is, and how its name decides its format. Shared by every source. */
import path from 'node:path';
import type { BackfillSpec } from '../../common/spec';
import { renderLayout } from '../../common/partitions';

export interface SourceFile {
  /** Stable name shown in lineage, rejects and errors: the path relative to the source uri. */
  name: string;
  /** Where the file is: a local path or s3://bucket/key. */
  uri: string;
  size: number;
  etag?: string;
}

export type FileFormat = 'ndjson' | 'json' | 'csv' | 'parquet';

const COMPRESSION = /\.(gz|zst)$/i;

/** Format from the spec, or from the file extension (compression suffix ignored) when `auto`. */
export function formatOf(spec: BackfillSpec, fileName: string): FileFormat | undefined {
  if (spec.source.format !== 'auto') return spec.source.format;
  const ext = path.extname(fileName.replace(COMPRESSION, '')).toLowerCase();
  if (ext === '.ndjson' || ext === '.jsonl' || ext === '.json') return 'ndjson';
  if (ext === '.csv' || ext === '.tsv') return 'csv';
  if (ext === '.parquet') return 'parquet';
  return undefined;
}

/** Hidden and marker files (".x", "_SUCCESS") are never data, as in Spark and Hive layouts. */
export const isDataFile = (name: string) => !name.startsWith('.') && !name.startsWith('_');

export function partitionPrefix(spec: BackfillSpec, partitionKey: string): string {
  return renderLayout(spec.source.layout, partitionKey, spec.range.granularity);
}
